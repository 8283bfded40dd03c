import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRedis } from '../support/redis-server';
import { BUILT_MAIN, ensureBuilt, ServiceProcess } from '../support/service-process';

const VALID_JOB = `
spec:
  jobs:
    - name: compute
      schedulerPort: 8000
      command: ["node", "examples/job/main.js"]
`;

/** The valid file with a bad rule of several kinds added to the job entry. */
const BAD_JOB = `${VALID_JOB}      timeLimitSeconds: 0
      failurePolicy:
        rules:
          - action: FailJob
            onExitCodes: { operator: In, values: [42] }
          - action: Retry
            onExitCodes: { operator: In, values: [1] }
      runtime:
        architecture: x86
      resources:
        limits:
          cpu: 1
`;

/**
 * The built service, started as a deployment starts it (`node dist/apps/scheduler/src/main.js`):
 * configuration is validated once, at start, so a radixconfig.yaml that breaks a rule stops the
 * process before it listens or connects to Redis, with every problem and its path in the file.
 */
describe('the service with a radixconfig.yaml that breaks the rules', () => {
  let scratch: string;

  beforeAll(() => {
    ensureBuilt();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-bad-config-'));
  }, 180_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const radixConfig = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };

  it('refuses to start: exit 1, every problem listed with its path in the file', () => {
    const file = radixConfig('bad.yaml', BAD_JOB);
    // Nothing listens on port 1: a process that got as far as Redis would hang or log, not exit at once.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', RADIX_CONFIG: file, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0' };
    const result = spawnSync(process.execPath, [BUILT_MAIN], { env, encoding: 'utf8', timeout: 30_000 });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr: [
        'radix-job-scheduler: invalid configuration:',
        `  - ${file}: spec.jobs[0].timeLimitSeconds: must be >= 1`,
        `  - ${file}: spec.jobs[0].failurePolicy.rules[1].action: must be one of FailJob, Ignore, Count`,
        `  - ${file}: spec.jobs[0].resources.limits.cpu: must be a string, got a number`,
        `  - ${file}: spec.jobs[0].runtime.architecture: must be one of amd64, arm64`,
        '',
      ].join('\n'),
    });
  });

  it('starts with the same environment once the file is fixed', async () => {
    const redis = await TestRedis.start();
    const service = await ServiceProcess.start({
      env: { RADIX_CONFIG: radixConfig('valid.yaml', VALID_JOB), REDIS_URL: redis.url, ROLES: 'api', LOG_LEVEL: 'warn' },
      logFile: join(scratch, 'valid.log'),
    });
    try {
      await service.ready();
    } finally {
      await service.stop();
      await redis.stop();
    }
  });
});

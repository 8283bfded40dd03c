import { PermanentLaunchError, type ResolvedJob } from '@rjs/core';
import { commandLine, jobEnvironment } from './job-environment';

const job = (overrides: Partial<ResolvedJob> = {}): ResolvedJob => ({
  name: 'batch-compute-1-abc',
  batchName: 'batch-compute-1',
  batchType: 'job',
  component: 'compute',
  timeLimitSeconds: 60,
  backoffLimit: 0,
  resources: {},
  variables: {},
  command: ['node', 'main.js'],
  args: ['--x'],
  hasPayload: false,
  ...overrides,
});

describe('jobEnvironment', () => {
  it('passes on only the inherited minimum, then variables, then what the scheduler sets', () => {
    const env = jobEnvironment(
      job({ variables: { GREETING: 'hi', PATH: '/custom', RADIX_JOB_NAME: 'spoofed' } }),
      '/work/job/payload',
      { PATH: '/usr/bin', HOME: '/home/me', REDIS_URL: 'redis://secret', NODE_OPTIONS: '--inspect' },
    );
    expect(env).toEqual({ PATH: '/custom', HOME: '/home/me', GREETING: 'hi', RADIX_JOB_NAME: 'batch-compute-1-abc', JOB_PAYLOAD_FILE: '/work/job/payload' });
  });

  it('sets no JOB_PAYLOAD_FILE for a job without a payload', () => {
    expect(jobEnvironment(job({ variables: { JOB_PAYLOAD_FILE: '/etc/passwd' } }), undefined, {})).toEqual({ RADIX_JOB_NAME: 'batch-compute-1-abc' });
  });
});

describe('commandLine', () => {
  it.each([
    { command: ['node', 'main.js'], args: ['--x'], expected: ['node', 'main.js', '--x'] },
    { command: ['node'], args: undefined, expected: ['node'] },
    { command: ['node', 'main.js'], args: [], expected: ['node', 'main.js'] },
  ])('runs command + args: $expected', ({ command, args, expected }) => {
    expect(commandLine(job({ command, args }))).toEqual(expected);
  });

  it.each([{ command: undefined }, { command: [] }])('refuses a job with no command ($command)', ({ command }) => {
    expect(() => commandLine(job({ command, args: ['--x'] }))).toThrow(PermanentLaunchError);
  });
});

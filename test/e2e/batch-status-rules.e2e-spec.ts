import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchStatusView } from '@rjs/core';
import { eventually } from '../support/eventually';
import { TestRedis } from '../support/redis-server';
import { writeJobProgramConfig } from '../worker/worker-app';
import { http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';

/** Rules in the job component, as a Radix user writes them: the first match wins. */
const RULES = `      batchStatusRules:
        - condition: Any
          operator: In
          jobStatuses: [Failed]
          batchStatus: Failed
        - condition: All
          operator: In
          jobStatuses: [Succeeded]
          batchStatus: Completed
`;

/**
 * batchStatusRules from radixconfig.yaml decide the batch status shown over HTTP (GET of a batch and
 * the list), with the whole scheduler (api, worker, watcher; local runtime) and real job processes.
 */
describe('batchStatusRules end to end (radixconfig.yaml -> batch status over HTTP)', () => {
  let redis: TestRedis;
  let dir: string;
  let scheduler: SchedulerApp;
  let url: string;

  beforeAll(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'rjs-rules-'));
    scheduler = await startScheduler({
      RADIX_CONFIG: writeJobProgramConfig(dir, RULES),
      REDIS_URL: redis.url,
      LOCAL_WORK_DIR: join(dir, 'work'),
      LOCAL_MAX_RUNNING: '4',
      LOCAL_STOP_GRACE_SECONDS: '1',
    });
    url = scheduler.url;
  });

  afterAll(async () => {
    await scheduler?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const createBatch = async (jobScheduleDescriptions: unknown[]) => {
    const created = await http<BatchStatusView>(url, 'POST', '/api/v1/batches', { jobScheduleDescriptions });
    expect(created.status).toBe(200);
    return created.body;
  };
  const getBatch = async (name: string) => (await http<BatchStatusView>(url, 'GET', `/api/v1/batches/${name}`)).body;
  const listed = async (name: string) => (await http<BatchStatusView[]>(url, 'GET', '/api/v1/batches')).body.find((b) => b.name === name);

  it('calls a batch Failed as soon as one job failed, while another still runs (built in: Running)', async () => {
    const batch = await createBatch([{ variables: { SLEEP_SECONDS: '300' } }, { variables: { EXIT_CODE: '3' } }]);
    // No rule matches jobs that all wait: the built-in rules apply.
    expect(batch.status).toBe('Waiting');
    const [slow, failing] = batch.jobStatuses!.map((j) => j.name);
    await jobReaches(url, slow, 'Running');
    await jobReaches(url, failing, 'Failed');

    const seen = await getBatch(batch.name);
    expect(seen.status).toBe('Failed');
    expect(seen.jobStatuses!.find((j) => j.name === slow)?.status).toBe('Running');
    expect(seen).not.toHaveProperty('ended');
    expect((await listed(batch.name))?.status).toBe('Failed');

    expect((await http(url, 'POST', `/api/v1/batches/${batch.name}/stop`)).status).toBe(200);
    await jobReaches(url, slow, 'Stopped');
    // Still the first rule: Any job Failed.
    expect((await getBatch(batch.name)).status).toBe('Failed');
  });

  it('calls a batch whose jobs all succeeded Completed (built in: Succeeded)', async () => {
    const batch = await createBatch([{}, {}]);
    const done = await eventually(async () => {
      const seen = await getBatch(batch.name);
      return seen.jobStatuses!.every((j) => j.status === 'Succeeded') ? seen : undefined;
    }, 'every job to succeed');
    expect(done.status).toBe('Completed');
    expect(done.ended).toBeDefined();
    expect((await listed(batch.name))?.status).toBe('Completed');
  });

  it('leaves a batch no rule matches to the built-in rules', async () => {
    const batch = await createBatch([{ variables: { SLEEP_SECONDS: '300' } }, {}]);
    const [slow, quick] = batch.jobStatuses!.map((j) => j.name);
    await jobReaches(url, quick, 'Succeeded');
    await jobReaches(url, slow, 'Running');
    expect((await getBatch(batch.name)).status).toBe('Running');
    expect((await http(url, 'POST', `/api/v1/batches/${batch.name}/jobs/${slow}/stop`)).status).toBe(200);
    await jobReaches(url, slow, 'Stopped');
    expect((await getBatch(batch.name)).status).toBe('Stopped');
  });
});

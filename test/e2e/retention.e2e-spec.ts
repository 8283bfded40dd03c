import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import type Redis from 'ioredis';
import { RedisKeys } from '@rjs/store';
import { eventually } from '../support/eventually';
import { TestRedis } from '../support/redis-server';
import { http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';

const ROOT = resolve(__dirname, '../..');
const RETENTION_SECONDS = 2;

/**
 * Retention through the HTTP API with a short RETENTION_SECONDS: the whole scheduler (api, worker,
 * watcher; local runtime running examples/job/main.js), a real redis-server and real processes.
 */
describe('retention end to end', () => {
  let redis: TestRedis;
  let scheduler: SchedulerApp;
  let client: Redis;
  let keys: RedisKeys;
  const workDir = () => join(redis.dir, 'jobs');

  beforeAll(async () => {
    redis = await TestRedis.start();
    scheduler = await startScheduler({
      RADIX_CONFIG: join(ROOT, 'radixconfig.yaml'),
      REDIS_URL: redis.url,
      LOCAL_WORK_DIR: join(redis.dir, 'jobs'),
      RETENTION_SECONDS: String(RETENTION_SECONDS),
    });
    client = redis.client();
    keys = new RedisKeys(scheduler.config.component.name);
  });
  afterAll(async () => {
    await client?.quit();
    await scheduler?.close();
    await redis?.stop();
  });

  const metric = async (name: string) => {
    const text = await (await fetch(`${scheduler.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  const secondsSince = (rfc3339: string) => (Date.now() - Date.parse(rfc3339)) / 1000;

  it('removes a finished job after the retention: GET answers 404 as for a deleted job, its directory goes, the metric counts it', async () => {
    const removedBefore = (await metric('rjs_retention_removed_jobs_total')) ?? 0;
    const { status, body: accepted } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', { payload: JSON.stringify({ x: 1, y: 2 }) });
    expect(status).toBe(200);
    const finished = await jobReaches(scheduler.url, accepted.name, 'Succeeded');
    expect(existsSync(join(workDir(), accepted.name, 'payload'))).toBe(true);
    expect(existsSync(join(workDir(), accepted.name, 'attempt-1.stdout.log'))).toBe(true);
    const { batchName } = JSON.parse((await client.hget(keys.job(accepted.name), 'doc'))!) as { batchName: string };

    const gone = await eventually(async () => {
      const answer = await http<{ reason: string; message: string }>(scheduler.url, 'GET', `/api/v1/jobs/${accepted.name}`);
      return answer.status === 404 ? answer : undefined;
    }, 'the job to be removed', 30_000);
    expect(secondsSince(finished.ended!)).toBeGreaterThanOrEqual(RETENTION_SECONDS);
    expect(gone.body).toEqual({ status: 'Failure', reason: 'NotFound', code: 404, message: `job ${accepted.name} is not found` });
    expect((await http<JobStatusView[]>(scheduler.url, 'GET', '/api/v1/jobs')).body.map((job) => job.name)).not.toContain(accepted.name);
    await eventually(() => !existsSync(join(workDir(), accepted.name)), 'the local job directory to be removed', 30_000);
    expect(await metric('rjs_retention_removed_jobs_total')).toBeGreaterThanOrEqual(removedBefore + 1);
    // Nothing of it is left in Redis.
    expect(await client.exists(keys.job(accepted.name), keys.batch(batchName), keys.payload(accepted.name))).toBe(0);
    expect(await client.zscore(keys.finished, batchName)).toBeNull();
    expect(await client.zrange(keys.singles, 0, -1)).not.toContain(accepted.name);
  });

  it('keeps a batch while one of its jobs runs, however long ago the others ended, then removes it whole', async () => {
    const { body: batch } = await http<BatchStatusView>(scheduler.url, 'POST', '/api/v1/batches', {
      jobScheduleDescriptions: [{ payload: '{}' }, { payload: JSON.stringify({ sleepSeconds: 8 }) }],
    });
    const [quick, slow] = batch.jobStatuses!.map((job) => job.name);
    const quickEnded = (await jobReaches(scheduler.url, quick, 'Succeeded')).ended!;
    // Past the quick job's retention and a sweep, while the slow one still runs.
    await eventually(() => secondsSince(quickEnded) > RETENTION_SECONDS + 2, 'the quick job to be past its retention', 30_000);
    const [quickNow, slowNow] = await Promise.all([quick, slow].map((name) => http<JobStatusView>(scheduler.url, 'GET', `/api/v1/batches/${batch.name}/jobs/${name}`)));
    expect(slowNow.body.status).toBe('Running');
    expect(quickNow).toMatchObject({ status: 200, body: { status: 'Succeeded' } });
    expect(existsSync(join(workDir(), quick))).toBe(true);

    const slowEnded = (await jobReaches(scheduler.url, slow, 'Succeeded')).ended!;
    await eventually(async () => (await http(scheduler.url, 'GET', `/api/v1/batches/${batch.name}`)).status === 404, 'the batch to be removed', 30_000);
    expect(secondsSince(slowEnded)).toBeGreaterThanOrEqual(RETENTION_SECONDS);
    for (const name of [quick, slow]) expect((await http(scheduler.url, 'GET', `/api/v1/jobs/${name}`)).status).toBe(404);
    await eventually(() => !existsSync(join(workDir(), quick)) && !existsSync(join(workDir(), slow)), 'the batch’s job directories to be removed', 30_000);
  });

  it('keeps a restarted batch while its restarted job runs again, then removes it; what retention removed cannot be restarted or copied', async () => {
    const { body: batch } = await http<BatchStatusView>(scheduler.url, 'POST', '/api/v1/batches', {
      jobScheduleDescriptions: [{ payload: '{}' }, { payload: JSON.stringify({ sleepSeconds: 4 }) }],
    });
    const [quick, slow] = batch.jobStatuses!.map((job) => job.name);
    await jobReaches(scheduler.url, quick, 'Succeeded');
    const firstEnd = (await jobReaches(scheduler.url, slow, 'Succeeded')).ended!;
    // Within the retention (2 s): the batch is still there to restart.
    expect((await http(scheduler.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${slow}/restart`)).status).toBe(200);

    // Past the first end's retention and a sweep, while the restarted job runs: the batch stays whole.
    await eventually(() => secondsSince(firstEnd) > RETENTION_SECONDS + 2, 'the first end to be past its retention', 30_000);
    expect((await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${slow}`)).body.status).toBe('Running');
    expect((await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${quick}`)).body.status).toBe('Succeeded');

    await jobReaches(scheduler.url, slow, 'Succeeded');
    await eventually(async () => (await http(scheduler.url, 'GET', `/api/v1/batches/${batch.name}`)).status === 404, 'the batch to be removed', 30_000);
    const restart = await http<{ message: string }>(scheduler.url, 'POST', `/api/v1/batches/${batch.name}/restart`);
    expect(restart.status).toBe(404);
    expect(restart.body.message).toBe(
      `batch ${batch.name} is not found, so it cannot be restarted: it never existed, was deleted, or was removed by retention with its specs and payloads`,
    );
    const copy = await http<{ message: string }>(scheduler.url, 'POST', `/api/v1/batches/${batch.name}/copy`);
    expect(copy.status).toBe(404);
    // The payloads went with the records.
    expect(await client.exists(keys.payload(quick), keys.payload(slow))).toBe(0);
  });

  it('reports the age of the oldest finished record', async () => {
    const { body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', {});
    await jobReaches(scheduler.url, body.name, 'Succeeded');
    expect(await metric('rjs_oldest_finished_age_seconds')).toBeGreaterThanOrEqual(0);
    // Once retention has taken it, nothing finished is left.
    await eventually(async () => (await http(scheduler.url, 'GET', `/api/v1/jobs/${body.name}`)).status === 404, 'the job to be removed', 30_000);
    expect(await metric('rjs_oldest_finished_age_seconds')).toBe(0);
  });
});

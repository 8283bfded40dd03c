import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { RedisKeys } from '@rjs/store';
import { apiOnTestRedis, BATCH_NAME, call, JOB_NAME, postBatch, postJob, storedSpec } from './api-app';

/**
 * Restart and copy through the api role alone (no worker: nothing runs), against the real HTTP
 * server and a real Redis: what they record and what work they queue for the workers.
 */
describe('restart and copy: records and queued work', () => {
  const context = apiOnTestRedis();
  const keys = new RedisKeys('compute');

  const restart = (path: string) => call(context.api.url, 'POST', `/api/v1${path}/restart`);

  it('records a restart as a new run and queues its launch as new work, next to the first run\'s', async () => {
    const { body: job } = await postJob(context.api, { payload: 'p' });

    expect((await restart(`/jobs/${job.name}`)).status).toBe(200);
    expect((await restart(`/jobs/${job.name}`)).status).toBe(200);

    expect(await context.api.store.getJob(job.name)).toMatchObject({ status: 'Waiting', generation: 2, restart: expect.any(String) });
    expect(await context.api.launchQueue.getJob(job.name)).toMatchObject({ data: { jobName: job.name } });
    expect(await context.api.launchQueue.getJob(`${job.name}.run-1`)).toMatchObject({ data: { jobName: job.name, generation: 1 } });
    expect(await context.api.launchQueue.getJob(`${job.name}.run-2`)).toMatchObject({ data: { jobName: job.name, generation: 2 } });
    // Queued: the dispatch outbox, written with the restart, is cleared.
    expect(await context.api.store.pendingDispatch()).toEqual([]);
    expect((await call<JobStatusView>(context.api.url, 'GET', `/api/v1/jobs/${job.name}`)).body).toMatchObject({ status: 'Waiting', restart: expect.any(String) });
  });

  it('hands the stop of a restarted job not yet launched again to a worker, for its earlier run may still run', async () => {
    const { body: job } = await postJob(context.api, {});
    await restart(`/jobs/${job.name}`);

    expect((await call(context.api.url, 'POST', `/api/v1/jobs/${job.name}/stop`)).status).toBe(200);

    expect(await context.api.store.getJob(job.name)).toMatchObject({ status: 'Stopping', generation: 1 });
    expect(await context.api.controlQueue.getJob(`stop-${job.name}.run-1`)).toMatchObject({ data: { action: 'stop', jobName: job.name, generation: 1 } });
  });

  it('copies a batch as a new one whose jobs are queued, keeping the original\'s specs and payloads', async () => {
    const { body: original } = await postBatch(context.api, { batchId: 'b', jobScheduleDescriptions: [{ payload: 'one', jobId: 'x' }, { payload: 'two', timeLimitSeconds: 9 }] });

    const { status, body: copy } = await call<BatchStatusView>(context.api.url, 'POST', `/api/v1/batches/${original.name}/copy`, { json: { imageTagName: 'v9' } });

    expect(status).toBe(200);
    expect(copy.name).toMatch(BATCH_NAME);
    const [first, second] = copy.jobStatuses!.map((j) => j.name);
    for (const name of [first, second]) {
      expect(name).toMatch(JOB_NAME);
      expect(await context.api.launchQueue.getJob(name)).toMatchObject({ data: { jobName: name } });
    }
    expect(await context.api.store.getPayload(first)).toBe('one');
    expect(await context.api.store.getPayload(second)).toBe('two');
    expect(await storedSpec(context.client, 'compute', second)).toMatchObject({ name: second, batchName: copy.name, timeLimitSeconds: 9, imageTagName: 'v9', hasPayload: true });
    expect(await storedSpec(context.client, 'compute', original.jobStatuses![1].name)).not.toHaveProperty('imageTagName');
    expect(await context.client.zscore(keys.batches, copy.name)).not.toBeNull();
  });

  it('answers 400 for a copy body that is not JSON, creating nothing', async () => {
    const { body: original } = await postBatch(context.api, { jobScheduleDescriptions: [{}] });
    const before = await context.client.zcard(keys.batches);
    const answer = await call(context.api.url, 'POST', `/api/v1/batches/${original.name}/copy`, { raw: '{"imageTagName": ', contentType: 'application/json' });
    expect(answer).toMatchObject({ status: 400, body: { reason: 'BadRequest', message: 'the request body is not valid JSON' } });
    expect(await context.client.zcard(keys.batches)).toBe(before);
  });
});

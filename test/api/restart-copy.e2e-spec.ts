import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { RedisKeys } from '@rjs/store';
import type Redis from 'ioredis';
import { type ApiApp, BATCH_NAME, call, JOB_NAME, postBatch, postJob, storedSpec, withApi } from './api-app';

/**
 * Restart and copy through the api role alone (no worker: nothing runs), against the real HTTP
 * server and a real Redis: what they record and what work they queue for the workers.
 */
describe('restart and copy: records and queued work', () => {
  let client: Redis;
  let api: ApiApp;
  withApi((bed) => {
    ({ client, api } = bed);
  });
  const keys = new RedisKeys('compute');

  const restart = (path: string) => call(api.url, 'POST', `/api/v1${path}/restart`);

  it('records a restart as a new run and queues its launch as new work, next to the first run\'s', async () => {
    const { body: job } = await postJob(api, { payload: 'p' });
    await api.handedOff();

    expect((await restart(`/jobs/${job.name}`)).status).toBe(200);
    await api.handedOff();
    expect((await restart(`/jobs/${job.name}`)).status).toBe(200);
    await api.handedOff();

    expect(await api.store.getJob(job.name)).toMatchObject({ status: 'Waiting', generation: 2, restart: expect.any(String) });
    expect(await api.launchQueue.getJob(job.name)).toMatchObject({ data: { jobName: job.name } });
    expect(await api.launchQueue.getJob(`${job.name}.run-1`)).toMatchObject({ data: { jobName: job.name, generation: 1 } });
    expect(await api.launchQueue.getJob(`${job.name}.run-2`)).toMatchObject({ data: { jobName: job.name, generation: 2 } });
    // Queued: the dispatch outbox, written with the restart, is cleared.
    expect(await api.store.pendingDispatch()).toEqual([]);
    expect((await call<JobStatusView>(api.url, 'GET', `/api/v1/jobs/${job.name}`)).body).toMatchObject({ status: 'Waiting', restart: expect.any(String) });
  });

  it('hands the stop of a restarted job not yet launched again to a worker, for its earlier run may still run', async () => {
    const { body: job } = await postJob(api, {});
    await restart(`/jobs/${job.name}`);

    expect((await call(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`)).status).toBe(200);

    expect(await api.store.getJob(job.name)).toMatchObject({ status: 'Stopping', generation: 1 });
    expect(await api.controlQueue.getJob(`stop-${job.name}.run-1`)).toMatchObject({ data: { action: 'stop', jobName: job.name, generation: 1 } });
  });

  it('copies a batch as a new one whose jobs are queued, keeping the original\'s specs and payloads', async () => {
    const { body: original } = await postBatch(api, { batchId: 'b', jobScheduleDescriptions: [{ payload: 'one', jobId: 'x' }, { payload: 'two', timeLimitSeconds: 9 }] });

    const { status, body: copy } = await call<BatchStatusView>(api.url, 'POST', `/api/v1/batches/${original.name}/copy`, { json: { imageTagName: 'v9' } });

    expect(status).toBe(200);
    expect(copy.name).toMatch(BATCH_NAME);
    await api.handedOff();
    const [first, second] = copy.jobStatuses!.map((j) => j.name);
    for (const name of [first, second]) {
      expect(name).toMatch(JOB_NAME);
      expect(await api.launchQueue.getJob(name)).toMatchObject({ data: { jobName: name } });
    }
    expect(await api.store.getPayload(first)).toBe('one');
    expect(await api.store.getPayload(second)).toBe('two');
    expect(await storedSpec(client, 'compute', second)).toMatchObject({ name: second, batchName: copy.name, timeLimitSeconds: 9, imageTagName: 'v9', hasPayload: true });
    expect(await storedSpec(client, 'compute', original.jobStatuses![1].name)).not.toHaveProperty('imageTagName');
    expect(await client.zscore(keys.batches, copy.name)).not.toBeNull();
  });

  it('answers 400 for a copy body that is not JSON, creating nothing', async () => {
    const { body: original } = await postBatch(api, { jobScheduleDescriptions: [{}] });
    const before = await client.zcard(keys.batches);
    const answer = await call(api.url, 'POST', `/api/v1/batches/${original.name}/copy`, { raw: '{"imageTagName": ', contentType: 'application/json' });
    expect(answer).toMatchObject({ status: 400, body: { reason: 'BadRequest', message: 'the request body is not valid JSON' } });
    expect(await client.zcard(keys.batches)).toBe(before);
  });
});

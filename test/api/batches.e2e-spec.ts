import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { type ApiApp, BATCH_NAME, call, JOB_NAME, postBatch, postJob, storedSpec, withApi } from './api-app';
import { RedisKeys } from '@rjs/store';

/** Batches through /api/v1/batches, against the real HTTP server and a real Redis. */
describe('/api/v1/batches', () => {
  let client: Redis;
  let api: ApiApp;
  let startApp: (component: string, env?: Record<string, string>) => Promise<ApiApp>;
  withApi((bed) => {
    ({ client, api } = bed);
    startApp = bed.start;
  });

  const create = async (body: unknown): Promise<BatchStatusView> => {
    const answer = await postBatch(api, body);
    expect(answer.status).toBe(200);
    await api.handedOff();
    return answer.body;
  };
  const getBatch = (name: string) => call<BatchStatusView>(api.url, 'GET', `/api/v1/batches/${name}`);
  const jobNames = (batch: BatchStatusView) => (batch.jobStatuses ?? []).map((j) => j.name);

  describe('POST /api/v1/batches', () => {
    it('answers 200 with the Waiting batch and its jobs, records them and queues every launch', async () => {
      const batch = await create({ batchId: 'nightly', jobScheduleDescriptions: [{ jobId: 'a', payload: 'p1' }, { jobId: 'b' }, {}] });
      expect(batch).toEqual({
        name: expect.stringMatching(BATCH_NAME),
        batchName: batch.name,
        batchId: 'nightly',
        batchType: 'batch',
        created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        updated: batch.created,
        status: 'Waiting',
        jobStatuses: [
          { name: expect.stringMatching(JOB_NAME), jobId: 'a', batchName: batch.name, created: batch.created, updated: batch.created, status: 'Waiting', failed: 0, podStatuses: [] },
          { name: expect.stringMatching(JOB_NAME), jobId: 'b', batchName: batch.name, created: batch.created, updated: batch.created, status: 'Waiting', failed: 0, podStatuses: [] },
          { name: expect.stringMatching(JOB_NAME), batchName: batch.name, created: batch.created, updated: batch.created, status: 'Waiting', failed: 0, podStatuses: [] },
        ],
      });
      const names = jobNames(batch);
      expect(new Set(names).size).toBe(3);
      for (const name of names) {
        expect(name.startsWith(`${batch.name}-`)).toBe(true);
        expect(await api.launchQueue.getJob(name)).toMatchObject({ data: { jobName: name } });
      }
      expect(await api.store.getPayload(names[0])).toBe('p1');
      expect(await api.store.getPayload(names[1])).toBeUndefined();
    });

    it('merges item over defaultRadixJobComponentConfig over the job component', async () => {
      const batch = await create({
        defaultRadixJobComponentConfig: {
          imageTagName: 'default-tag',
          timeLimitSeconds: 200,
          backoffLimit: 5,
          resources: { limits: { memory: '200Mi' }, requests: { memory: '100Mi' } },
          variables: { OVERRIDDEN: 'default', FROM_DEFAULT: 'default', SHARED: 'default' },
          command: [],
          runtime: { nodeType: 'default-nodes' },
        },
        jobScheduleDescriptions: [
          { imageTagName: 'item-tag', timeLimitSeconds: 120, resources: { limits: { cpu: '300m' }, requests: { cpu: '150m' } }, variables: { SHARED: 'item' }, args: [] },
          { command: ['./calculate.sh', '--epochs', '10'], runtime: {} },
        ],
      });
      const [first, second] = await Promise.all(jobNames(batch).map((name) => storedSpec(client, 'compute', name)));
      expect(first).toMatchObject({
        batchName: batch.name,
        batchType: 'batch',
        image: 'registry.example/compute:1.0.0',
        imageTagName: 'item-tag',
        timeLimitSeconds: 120,
        backoffLimit: 5,
        resources: { limits: { memory: '200Mi', cpu: '300m' }, requests: { memory: '100Mi', cpu: '150m' } },
        variables: { COMPONENT_ONLY: 'component', OVERRIDDEN: 'default', FROM_DEFAULT: 'default', SHARED: 'item' },
        // The default [] suppresses the component's command; the item's [] its args.
        command: [],
        args: [],
        runtime: { nodeType: 'default-nodes' },
      });
      expect(second).toMatchObject({
        imageTagName: 'default-tag',
        timeLimitSeconds: 200,
        backoffLimit: 5,
        resources: { limits: { memory: '200Mi', cpu: '1' }, requests: { memory: '100Mi', cpu: '100m' } },
        variables: { COMPONENT_ONLY: 'component', OVERRIDDEN: 'default', FROM_DEFAULT: 'default', SHARED: 'default' },
        command: ['./calculate.sh', '--epochs', '10'],
        args: ['--from-component'],
        runtime: {},
      });
    });
  });

  describe('GET /api/v1/batches', () => {
    it('lists batches with their jobs (and their podStatuses), without single jobs, at /batches and /batches/', async () => {
      const batch = await create({ jobScheduleDescriptions: [{ jobId: 'a' }, {}] });
      const single = await postJob(api, {});
      await api.store.update(batch.jobStatuses![0].name, (r) => ({
        ...r,
        status: 'Running',
        launched: true,
        started: '2030-01-01T00:00:05Z',
        updated: '2030-01-01T00:00:05Z',
        podStatuses: [{ name: `${r.name}-1`, podIndex: 0, startTime: '2030-01-01T00:00:04Z', replicaStatus: { status: 'Running' } }],
      }));
      const listed = await call<BatchStatusView[]>(api.url, 'GET', '/api/v1/batches');
      expect(listed.status).toBe(200);
      const entry = listed.body.find((b) => b.name === batch.name);
      expect(entry).toEqual((await getBatch(batch.name)).body);
      expect(entry).toMatchObject({ status: 'Running', jobStatuses: [{ jobId: 'a', status: 'Running', podStatuses: [{ podIndex: 0, replicaStatus: { status: 'Running' } }] }, { status: 'Waiting' }] });
      expect(listed.body.every((b) => b.batchType === 'batch' && Array.isArray(b.jobStatuses))).toBe(true);
      expect(listed.body.map((b) => b.name)).not.toContain(single.body.name);
      expect(await call(api.url, 'GET', '/api/v1/batches/')).toEqual(listed);
    });
  });

  describe('GET /api/v1/batches/{batchName}', () => {
    it('answers the batch with the states of its jobs', async () => {
      const batch = await create({ batchId: 'x', jobScheduleDescriptions: [{ jobId: '1' }, { jobId: '2' }] });
      expect(await getBatch(batch.name)).toMatchObject({ status: 200, body: batch });
    });

    it('derives the batch status from its jobs', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}, {}] });
      const [a, b] = jobNames(batch);
      await api.store.update(a, (r) => ({ ...r, status: 'Running', launched: true, started: '2030-01-01T00:00:05Z', updated: '2030-01-01T00:00:05Z' }));
      expect((await getBatch(batch.name)).body).toMatchObject({ status: 'Running', started: '2030-01-01T00:00:05Z' });
      await api.store.update(a, (r) => ({ ...r, status: 'Succeeded', ended: '2030-01-01T00:00:09Z' }));
      await api.store.update(b, (r) => ({ ...r, status: 'Failed', launched: true, ended: '2030-01-01T00:00:08Z', message: 'exit code 1' }));
      const done = (await getBatch(batch.name)).body;
      expect(done).toMatchObject({ status: 'Failed', ended: '2030-01-01T00:00:09Z' });
      expect(done.jobStatuses?.map((j) => j.status)).toEqual(['Succeeded', 'Failed']);
    });

    it('answers 404 for an unknown batch and for the batch of a single job', async () => {
      const single = await postJob(api, {});
      const singleBatch = (await api.store.getJob(single.body.name))!.batchName;
      for (const name of ['batch-compute-20220302170647-6ytkltvk', singleBatch]) {
        expect(await getBatch(name)).toMatchObject({ status: 404, body: { status: 'Failure', message: `batch ${name} is not found`, reason: 'NotFound', code: 404 } });
      }
    });
  });

  describe('GET /api/v1/batches/{batchName}/jobs/{jobName}', () => {
    it('answers one job of the batch by its full name or by its last part', async () => {
      const batch = await create({ jobScheduleDescriptions: [{ jobId: 'first' }, { jobId: 'second' }] });
      const second = batch.jobStatuses![1];
      const full = await call<JobStatusView>(api.url, 'GET', `/api/v1/batches/${batch.name}/jobs/${second.name}`);
      expect(full).toMatchObject({ status: 200, body: second });
      const suffix = second.name.slice(batch.name.length + 1);
      expect(await call(api.url, 'GET', `/api/v1/batches/${batch.name}/jobs/${suffix}`)).toMatchObject({ status: 200, body: second });
    });

    it('matches the job name without regard to case, as the original; other names keep their case', async () => {
      const batch = await create({ jobScheduleDescriptions: [{ jobId: 'first' }, { jobId: 'second' }] });
      const second = batch.jobStatuses![1];
      const suffix = second.name.slice(batch.name.length + 1);
      for (const name of [second.name.toUpperCase(), suffix.toUpperCase(), `${batch.name}-${suffix.toUpperCase()}`]) {
        expect(await call(api.url, 'GET', `/api/v1/batches/${batch.name}/jobs/${name}`)).toMatchObject({ status: 200, body: second });
      }
      expect((await call(api.url, 'GET', `/api/v1/batches/${batch.name.toUpperCase()}/jobs/${second.name}`)).status).toBe(404);
      expect((await call(api.url, 'GET', `/api/v1/jobs/${second.name.toUpperCase()}`)).status).toBe(404);
    });

    it('answers 404 for a job that is not in that batch', async () => {
      const one = await create({ jobScheduleDescriptions: [{}] });
      const other = await create({ jobScheduleDescriptions: [{}] });
      const foreign = other.jobStatuses![0].name;
      expect(await call(api.url, 'GET', `/api/v1/batches/${one.name}/jobs/${foreign}`)).toMatchObject({
        status: 404,
        body: { status: 'Failure', message: `job ${foreign} in the batch ${one.name} is not found`, reason: 'NotFound', code: 404 },
      });
      expect((await call(api.url, 'GET', `/api/v1/batches/no-such-batch/jobs/${foreign}`)).status).toBe(404);
    });
  });

  describe('POST /api/v1/batches/{batchName}/jobs/{jobName}/stop', () => {
    it('stops one job of the batch and leaves the others', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}, {}] });
      const [a, b] = jobNames(batch);
      const answer = await call(api.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${a}/stop`);
      expect(answer).toMatchObject({ status: 200, body: { status: 'Success', message: `job ${a} in the batch ${batch.name} successfully stopped`, code: 200 } });
      const after = (await getBatch(batch.name)).body;
      expect(after.jobStatuses?.map((j) => j.status)).toEqual(['Stopped', 'Waiting']);
      expect(after.status).toBe('Running');
      expect(await api.launchQueue.getJob(a)).toBeUndefined();
      expect(await api.launchQueue.getJob(b)).toBeDefined();
    });

    it('accepts the last part of the job name and names the full job in its answer', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}] });
      const [a] = jobNames(batch);
      const answer = await call(api.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${a.slice(-8)}/stop`);
      expect(answer).toMatchObject({ status: 200, body: { message: `job ${a} in the batch ${batch.name} successfully stopped` } });
    });

    it('matches the job name without regard to case and names the job as it is in its answer', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}, {}] });
      const [a, b] = jobNames(batch);
      const answer = await call(api.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${a.toUpperCase()}/stop`);
      expect(answer).toMatchObject({ status: 200, body: { message: `job ${a} in the batch ${batch.name} successfully stopped` } });
      expect(await call(api.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${b.slice(-8).toUpperCase()}/stop`)).toMatchObject({ status: 200 });
      expect((await getBatch(batch.name)).body.jobStatuses?.map((j) => j.status)).toEqual(['Stopped', 'Stopped']);
    });

    it('refuses a job that has completed, and answers 404 for a job of another batch', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}] });
      const [a] = jobNames(batch);
      await api.store.update(a, (r) => ({ ...r, status: 'Failed', ended: r.created, message: 'exit code 1' }));
      expect(await call(api.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${a}/stop`)).toMatchObject({
        status: 400,
        body: { status: 'Failure', message: `job ${a} cannot be stopped: it has already Failed`, reason: 'BadRequest', code: 400 },
      });
      const other = await create({ jobScheduleDescriptions: [{}] });
      expect((await call(api.url, 'POST', `/api/v1/batches/${other.name}/jobs/${a}/stop`)).status).toBe(404);
    });
  });

  describe('POST /api/v1/batches/{batchName}/stop', () => {
    it('stops every job that has not completed; a second stop is refused', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}, {}, {}] });
      const [a, b, c] = jobNames(batch);
      await api.store.update(a, (r) => ({ ...r, status: 'Succeeded', ended: r.created }));
      await api.store.update(b, (r) => ({ ...r, status: 'Running', launched: true, started: r.created }));
      const answer = await call(api.url, 'POST', `/api/v1/batches/${batch.name}/stop`);
      expect(answer).toMatchObject({ status: 200, body: { status: 'Success', message: `batch ${batch.name} successfully stopped`, code: 200 } });
      const after = (await getBatch(batch.name)).body;
      expect(after.jobStatuses?.map((j) => j.status)).toEqual(['Succeeded', 'Stopping', 'Stopped']);
      expect(after.status).toBe('Stopping');
      expect(await api.controlQueue.getJob(`stop-${b}`)).toBeDefined();
      expect(await api.launchQueue.getJob(c)).toBeUndefined();

      await api.store.update(b, (r) => ({ ...r, status: 'Stopped', ended: r.created }));
      expect((await getBatch(batch.name)).body.status).toBe('Stopped');
      expect(await call(api.url, 'POST', `/api/v1/batches/${batch.name}/stop`)).toMatchObject({
        status: 400,
        body: { status: 'Failure', message: `batch ${batch.name} has already completed: every job has a final status`, reason: 'BadRequest', code: 400 },
      });
    });

    it('answers 404 for an unknown batch', async () => {
      expect(await call(api.url, 'POST', '/api/v1/batches/no-such-batch/stop')).toMatchObject({ status: 404, body: { message: 'batch no-such-batch is not found', reason: 'NotFound' } });
    });
  });

  describe('POST /api/v1/batches/stop', () => {
    it('stops the jobs of every batch, and no single job', async () => {
      const one = await create({ jobScheduleDescriptions: [{}] });
      const two = await create({ jobScheduleDescriptions: [{}, {}] });
      const single = await postJob(api, {});
      const answer = await call(api.url, 'POST', '/api/v1/batches/stop');
      expect(answer).toMatchObject({ status: 200, body: { status: 'Success', message: 'all batches successfully stopped', code: 200 } });
      for (const batch of [one, two]) expect((await getBatch(batch.name)).body.jobStatuses?.every((j) => j.status === 'Stopped')).toBe(true);
      expect((await call<JobStatusView>(api.url, 'GET', `/api/v1/jobs/${single.body.name}`)).body.status).toBe('Waiting');
    });
  });

  describe('DELETE /api/v1/batches/{batchName}', () => {
    it('removes the batch, its jobs, their payloads and their queued launches', async () => {
      const batch = await create({ jobScheduleDescriptions: [{ payload: 'a' }, { payload: 'b' }] });
      const names = jobNames(batch);
      const answer = await call(api.url, 'DELETE', `/api/v1/batches/${batch.name}`);
      expect(answer).toMatchObject({ status: 200, body: { status: 'Success', message: `batch ${batch.name} successfully deleted`, code: 200 } });
      expect((await getBatch(batch.name)).status).toBe(404);
      for (const name of names) {
        expect((await call(api.url, 'GET', `/api/v1/jobs/${name}`)).status).toBe(404);
        expect(await client.exists(new RedisKeys('compute').job(name), new RedisKeys('compute').payload(name))).toBe(0);
        expect(await api.launchQueue.getJob(name)).toBeUndefined();
      }
      const listed = await call<BatchStatusView[]>(api.url, 'GET', '/api/v1/batches');
      expect(listed.body.map((b) => b.name)).not.toContain(batch.name);
    });

    it('answers 404 for an unknown batch and for a batch deleted already', async () => {
      const batch = await create({ jobScheduleDescriptions: [{}] });
      await call(api.url, 'DELETE', `/api/v1/batches/${batch.name}`);
      expect(await call(api.url, 'DELETE', `/api/v1/batches/${batch.name}`)).toMatchObject({
        status: 404,
        body: { status: 'Failure', message: `batch ${batch.name} is not found`, reason: 'NotFound', code: 404 },
      });
    });
  });

  describe("with the job component's batchStatusRules", () => {
    let dir: string;
    let ruled: ApiApp;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rjs-rules-'));
      const radixconfig = join(dir, 'radixconfig.yaml');
      writeFileSync(
        radixconfig,
        `spec:
  jobs:
    - name: ruled
      schedulerPort: 8000
      batchStatusRules:
        - { condition: All, operator: In, jobStatuses: [Waiting], batchStatus: Active }
        - { condition: Any, operator: In, jobStatuses: [Stopped], batchStatus: Stopped }
`,
      );
      ruled = await startApp('ruled', { RADIX_CONFIG: radixconfig });
    });
    // The app is closed with the others (withApi).
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('shows the status of the first matching rule in the create answer, GET and the list', async () => {
      const created = await postBatch(ruled, { jobScheduleDescriptions: [{}, {}] });
      expect(created.body.status).toBe('Active');
      const [a] = jobNames(created.body);
      const status = async () => {
        const one = await call<BatchStatusView>(ruled.url, 'GET', `/api/v1/batches/${created.body.name}`);
        const listed = await call<BatchStatusView[]>(ruled.url, 'GET', '/api/v1/batches');
        return [one.body.status, listed.body.find((b) => b.name === created.body.name)?.status];
      };
      expect(await status()).toEqual(['Active', 'Active']);
      expect((await call(ruled.url, 'POST', `/api/v1/batches/${created.body.name}/jobs/${a}/stop`)).status).toBe(200);
      // Built in, one Stopped job and one Waiting make a Running batch.
      expect(await status()).toEqual(['Stopped', 'Stopped']);
    });
  });
});

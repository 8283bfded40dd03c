import type Redis from 'ioredis';
import { JobAcceptor, type JobStatusView } from '@rjs/core';
import { TestRedis } from '../support/redis-server';
import { type ApiApp, call, JOB_NAME, postBatch, postJob, startApi, storedSpec, withApi } from './api-app';
import { RedisKeys } from '@rjs/store';

/** Single jobs through /api/v1/jobs, against the real HTTP server and a real Redis. */
describe('/api/v1/jobs', () => {
  let redis: TestRedis;
  let client: Redis;
  let api: ApiApp;
  let bare: ApiApp;

  withApi(async (bed) => {
    ({ redis, client, api } = bed);
    bare = await bed.start('bare');
  });

  const create = async (body: unknown = {}): Promise<JobStatusView> => {
    const answer = await postJob(api, body);
    expect(answer.status).toBe(200);
    await api.handedOff();
    return answer.body;
  };
  const getJob = (app: ApiApp, name: string) => call<JobStatusView>(app.url, 'GET', `/api/v1/jobs/${name}`);

  // First, while nothing exists yet: lists are [], never null.
  it('lists no jobs and no batches before any was created', async () => {
    expect(await call(bare.url, 'GET', '/api/v1/jobs')).toMatchObject({ status: 200, body: [] });
    expect(await call(bare.url, 'GET', '/api/v1/batches')).toMatchObject({ status: 200, body: [] });
  });

  describe('POST /api/v1/jobs', () => {
    it('answers 200 with the Waiting job, records it and queues its launch', async () => {
      const before = Date.now();
      const answer = await postJob(api, { jobId: 'my-job', payload: '{"x": 10}' });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json/);
      const job = answer.body;
      expect(job).toEqual({ name: expect.stringMatching(JOB_NAME), jobId: 'my-job', created: job.created, updated: job.created, status: 'Waiting', failed: 0, podStatuses: [] });
      expect(job.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(job.created)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(await api.store.getJob(job.name)).toMatchObject({ name: job.name, status: 'Waiting', batchType: 'job', jobId: 'my-job' });
      expect(await api.store.getPayload(job.name)).toBe('{"x": 10}');
      await api.handedOff();
      expect(await api.launchQueue.getJob(job.name)).toMatchObject({ data: { jobName: job.name } });
    });

    it('hands the job to the workers in one dispatch entry and leaves it there: a process with the api role alone runs no BullMQ worker', async () => {
      const answer = await postJob(api, {});
      await api.app.get(JobAcceptor).drain();
      await new Promise((resolve) => setTimeout(resolve, 300));

      const handOffs = (await api.dispatchQueue.getWaiting()).filter((work) => work.data.jobNames.includes(answer.body.name));
      expect(handOffs.map((work) => work.data)).toEqual([{ jobNames: [answer.body.name] }]);
      expect(await api.store.isDispatchPending(answer.body.name)).toBe(false);
      expect(await api.launchQueue.getJob(answer.body.name)).toBeUndefined();
      for (const queue of [api.dispatchQueue, api.launchQueue, api.controlQueue]) expect(await queue.getWorkersCount()).toBe(0);

      // What a worker then makes of it: launch work with a BullMQ priority (job priorities), aged from the hand-off.
      await api.handedOff();
      expect(await api.launchQueue.getJobState(answer.body.name)).toBe('prioritized');
      expect((await api.launchQueue.getJob(answer.body.name))?.timestamp).toBe(handOffs[0].timestamp);
    });

    it.each([
      { name: 'no body at all', body: undefined },
      { name: 'an empty body sent as JSON', body: { raw: '', contentType: 'application/json' } },
      { name: 'a blank body sent as JSON', body: { raw: ' \n', contentType: 'application/json' } },
      { name: 'an empty object', body: { json: {} } },
      { name: 'JSON null', body: { raw: 'null', contentType: 'application/json' } },
    ])('creates a job with all defaults from $name', async ({ body }) => {
      const answer = await call<JobStatusView>(api.url, 'POST', '/api/v1/jobs', body);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('Waiting');
      // The component's own values apply (compute sets them all).
      expect(await storedSpec(client, 'compute', answer.body.name)).toMatchObject({ timeLimitSeconds: 600, backoffLimit: 3, command: ['./run.sh'], args: ['--from-component'], hasPayload: false });
    });

    it('reads a body as JSON whatever its Content-Type, like the original (curl -d sends a form type)', async () => {
      const answer = await call<JobStatusView>(api.url, 'POST', '/api/v1/jobs', { raw: '{"jobId":"form"}', contentType: 'application/x-www-form-urlencoded' });
      expect(answer.status).toBe(200);
      expect(answer.body.jobId).toBe('form');
      const text = await call<JobStatusView>(api.url, 'POST', '/api/v1/jobs', { raw: '{"jobId":"text"}', contentType: 'text/plain' });
      expect(text).toMatchObject({ status: 200, body: { jobId: 'text' } });
      // A Buffer body makes fetch send no Content-Type at all.
      const untyped = await call<JobStatusView>(api.url, 'POST', '/api/v1/jobs', { raw: Buffer.from('{"jobId":"untyped"}') });
      expect(untyped).toMatchObject({ status: 200, body: { jobId: 'untyped' } });
    });

    it('applies 43200 and 0 when neither the request nor the component sets a time limit or backoff limit', async () => {
      const answer = await postJob(bare, {});
      expect(answer.status).toBe(200);
      const spec = await storedSpec(client, 'bare', answer.body.name);
      expect(spec).toMatchObject({ component: 'bare', timeLimitSeconds: 43200, backoffLimit: 0, resources: {}, variables: {} });
      expect(spec).not.toHaveProperty('command');
      expect(spec).not.toHaveProperty('args');
    });

    it('merges the request over the job component: scalars and lists replaced, maps key by key', async () => {
      const job = await create({
        image: 'registry.example/other:2',
        imageTagName: '2.0.0',
        timeLimitSeconds: 120,
        backoffLimit: 0,
        resources: { limits: { memory: '256Mi' }, requests: { cpu: '50m' } },
        runtime: { nodeType: 'memory-optimized-2-v1' },
        variables: { OVERRIDDEN: 'request', ADDED: 'request' },
        command: [],
        args: ['--input', '/data/input.json'],
      });
      expect(await storedSpec(client, 'compute', job.name)).toEqual({
        name: job.name,
        batchName: expect.stringMatching(/^batch-compute-\d{14}-[a-z0-9]{8}$/),
        batchType: 'job',
        component: 'compute',
        image: 'registry.example/other:2',
        imageTagName: '2.0.0',
        timeLimitSeconds: 120,
        backoffLimit: 0,
        resources: { limits: { memory: '256Mi', cpu: '1' }, requests: { memory: '128Mi', cpu: '50m' } },
        // Replaced whole: the component's architecture does not survive.
        runtime: { nodeType: 'memory-optimized-2-v1' },
        variables: { COMPONENT_ONLY: 'component', OVERRIDDEN: 'request', ADDED: 'request' },
        // [] suppresses the configured command.
        command: [],
        args: ['--input', '/data/input.json'],
        payloadPath: '/compute/args',
        hasPayload: false,
      });
    });

    it('names jobs uniquely', async () => {
      const names = await Promise.all(Array.from({ length: 20 }, () => create().then((j) => j.name)));
      expect(new Set(names).size).toBe(20);
      for (const name of names) {
        expect(name).toMatch(JOB_NAME);
        expect(name.length).toBeLessThanOrEqual(63);
      }
    });

    it('shortens a long component name so that job names stay within 63 characters', async () => {
      const long = await startApi(redis.url, 'a-job-component-with-a-rather-long-name-for-naming-tests');
      try {
        const answer = await postJob(long, { payload: 'x' });
        expect(answer.status).toBe(200);
        expect(answer.body.name).toMatch(/^batch-a-job-component-with-a-r-\d{14}-[a-z0-9]{8}-[a-z0-9]{8}$/);
        expect(answer.body.name).toHaveLength(63);
        const batch = await postBatch(long, { jobScheduleDescriptions: [{}, {}] });
        for (const job of batch.body.jobStatuses ?? []) expect(job.name.length).toBeLessThanOrEqual(63);
        expect(batch.body.jobStatuses).toHaveLength(2);
      } finally {
        await long.close();
      }
    });
  });

  describe('GET /api/v1/jobs', () => {
    it('lists single jobs only, oldest first, at /jobs and /jobs/', async () => {
      const single = await create({ jobId: 'listed' });
      const batch = await postBatch(api, { jobScheduleDescriptions: [{ jobId: 'not-listed' }] });
      expect(batch.status).toBe(200);
      const listed = await call<JobStatusView[]>(api.url, 'GET', '/api/v1/jobs');
      expect(listed.status).toBe(200);
      const names = listed.body.map((j) => j.name);
      expect(names).toContain(single.name);
      expect(names).not.toContain(batch.body.jobStatuses?.[0].name);
      expect(listed.body.every((j) => j.batchName === undefined)).toBe(true);
      expect(listed.body.map((j) => j.created)).toEqual([...listed.body.map((j) => j.created)].sort());
      expect(listed.body.find((j) => j.name === single.name)).toEqual(single);
      expect(await call(api.url, 'GET', '/api/v1/jobs/')).toEqual(listed);
    });
  });

  describe('GET /api/v1/jobs/{jobName}', () => {
    it('answers the state of a single job', async () => {
      const job = await create({ jobId: 'one' });
      expect(await getJob(api, job.name)).toMatchObject({ status: 200, body: job });
    });

    it('finds a job of a batch too, naming its batch', async () => {
      const batch = await postBatch(api, { batchId: 'b', jobScheduleDescriptions: [{ jobId: 'in-batch' }] });
      const [job] = batch.body.jobStatuses ?? [];
      const answer = await getJob(api, job.name);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ name: job.name, jobId: 'in-batch', batchName: batch.body.name, status: 'Waiting' });
    });

    it.each(['batch-compute-20230220101417-idwsxncs-rkwaibwe', 'stop', 'no such job'])('answers 404 for %j', async (name) => {
      expect(await getJob(api, encodeURIComponent(name))).toEqual({
        status: 404,
        contentType: expect.stringMatching(/^application\/json/),
        body: { status: 'Failure', message: `job ${name} is not found`, reason: 'NotFound', code: 404 },
      });
    });
  });

  describe('POST /api/v1/jobs/{jobName}/stop', () => {
    it('stops a Waiting job at once and takes its launch off the queue', async () => {
      const job = await create();
      expect(await api.launchQueue.getJob(job.name)).toBeDefined();
      const answer = await call(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`);
      expect(answer).toEqual({
        status: 200,
        contentType: expect.stringMatching(/^application\/json/),
        body: { status: 'Success', message: `job ${job.name} successfully stopped`, code: 200 },
      });
      const stopped = await getJob(api, job.name);
      expect(stopped.body).toMatchObject({ status: 'Stopped', ended: expect.any(String), message: expect.stringContaining('stopped') });
      expect(await api.launchQueue.getJob(job.name)).toBeUndefined();
    });

    it('refuses to stop a job that has already stopped', async () => {
      const job = await create();
      await call(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`);
      expect(await call(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`)).toMatchObject({
        status: 400,
        body: { status: 'Failure', message: `job ${job.name} cannot be stopped: it has already Stopped`, reason: 'BadRequest', code: 400 },
      });
    });

    it('refuses to stop a job that has Succeeded and leaves it as it was', async () => {
      const job = await create();
      await api.store.update(job.name, (r) => ({ ...r, status: 'Succeeded', launched: true, started: r.created, ended: r.created }));
      const answer = await call(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`);
      expect(answer).toMatchObject({ status: 400, body: { reason: 'BadRequest', code: 400, message: `job ${job.name} cannot be stopped: it has already Succeeded` } });
      expect((await getJob(api, job.name)).body.status).toBe('Succeeded');
    });

    it('hands the stop of a running job to a worker: Stopping, and stop work queued', async () => {
      const job = await create();
      await api.store.update(job.name, (r) => ({ ...r, status: 'Running', launched: true, started: r.created }));
      expect((await call(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`)).status).toBe(200);
      expect((await getJob(api, job.name)).body.status).toBe('Stopping');
      expect(await api.controlQueue.getJob(`stop-${job.name}`)).toMatchObject({ data: { action: 'stop', jobName: job.name } });
    });

    it('refuses a job of a batch (stop it through its batch) and leaves it Waiting', async () => {
      const batch = await postBatch(api, { jobScheduleDescriptions: [{}] });
      await api.handedOff();
      const [job] = batch.body.jobStatuses ?? [];
      const answer = await call<{ message: string }>(api.url, 'POST', `/api/v1/jobs/${job.name}/stop`);
      expect(answer).toMatchObject({ status: 400, body: { status: 'Failure', reason: 'BadRequest', code: 400 } });
      expect(answer.body.message).toContain(`/api/v1/batches/${batch.body.name}/jobs/${job.name}/stop`);
      expect((await getJob(api, job.name)).body.status).toBe('Waiting');
      expect(await api.launchQueue.getJob(job.name)).toBeDefined();
    });

    it('answers 404 for an unknown job', async () => {
      expect(await call(api.url, 'POST', '/api/v1/jobs/nothing-here/stop')).toMatchObject({
        status: 404,
        body: { status: 'Failure', message: 'job nothing-here is not found', reason: 'NotFound', code: 404 },
      });
    });
  });

  describe('POST /api/v1/jobs/stop', () => {
    it('stops every single job that has not completed, and no job of a batch', async () => {
      const waiting = await create();
      const succeeded = await create();
      await api.store.update(succeeded.name, (r) => ({ ...r, status: 'Succeeded', ended: r.created }));
      const batch = await postBatch(api, { jobScheduleDescriptions: [{}] });
      const answer = await call(api.url, 'POST', '/api/v1/jobs/stop');
      expect(answer).toMatchObject({ status: 200, body: { status: 'Success', message: 'all jobs successfully stopped', code: 200 } });
      expect((await getJob(api, waiting.name)).body.status).toBe('Stopped');
      expect((await getJob(api, succeeded.name)).body.status).toBe('Succeeded');
      expect((await getJob(api, batch.body.jobStatuses![0].name)).body.status).toBe('Waiting');
      const all = await call<JobStatusView[]>(api.url, 'GET', '/api/v1/jobs');
      expect(all.body.filter((j) => ['Waiting', 'Active', 'Running'].includes(j.status))).toEqual([]);
    });
  });

  describe('DELETE /api/v1/jobs/{jobName}', () => {
    it('removes a Waiting job: its record, its payload and its queued launch', async () => {
      const job = await create({ payload: 'secret' });
      const answer = await call(api.url, 'DELETE', `/api/v1/jobs/${job.name}`);
      expect(answer).toMatchObject({ status: 200, body: { status: 'Success', message: `job ${job.name} successfully deleted`, code: 200 } });
      expect((await getJob(api, job.name)).status).toBe(404);
      expect(await client.exists(new RedisKeys('compute').job(job.name), new RedisKeys('compute').payload(job.name))).toBe(0);
      expect(await api.launchQueue.getJob(job.name)).toBeUndefined();
      const listed = await call<JobStatusView[]>(api.url, 'GET', '/api/v1/jobs');
      expect(listed.body.map((j) => j.name)).not.toContain(job.name);
    });

    it('gives no launch work to a job deleted or stopped before a worker took its hand-off', async () => {
      const [deleted, stopped, kept] = [(await postJob(api, {})).body, (await postJob(api, {})).body, (await postJob(api, {})).body];
      await api.app.get(JobAcceptor).drain();
      expect((await call(api.url, 'DELETE', `/api/v1/jobs/${deleted.name}`)).status).toBe(200);
      expect((await call(api.url, 'POST', `/api/v1/jobs/${stopped.name}/stop`)).status).toBe(200);

      await api.handedOff();

      expect(await api.launchQueue.getJob(deleted.name)).toBeUndefined();
      expect(await api.launchQueue.getJob(stopped.name)).toBeUndefined();
      expect(await api.launchQueue.getJob(kept.name)).toMatchObject({ data: { jobName: kept.name } });
    });

    it('answers 404 for an unknown job, and for a job deleted already', async () => {
      const job = await create();
      await call(api.url, 'DELETE', `/api/v1/jobs/${job.name}`);
      expect(await call(api.url, 'DELETE', `/api/v1/jobs/${job.name}`)).toMatchObject({
        status: 404,
        body: { status: 'Failure', message: `job ${job.name} is not found`, reason: 'NotFound', code: 404 },
      });
    });

    it('refuses a job of a batch (it goes with its batch) and keeps it', async () => {
      const batch = await postBatch(api, { jobScheduleDescriptions: [{}, {}] });
      const [job] = batch.body.jobStatuses ?? [];
      expect(await call(api.url, 'DELETE', `/api/v1/jobs/${job.name}`)).toMatchObject({ status: 400, body: { reason: 'BadRequest', code: 400 } });
      expect((await getJob(api, job.name)).status).toBe(200);
      expect((await call(api.url, 'GET', `/api/v1/batches/${batch.body.name}`)).status).toBe(200);
    });
  });
});

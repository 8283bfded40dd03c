import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { RedisKeys } from '@rjs/store';
import { eventually } from '../support/eventually';
import { readJobReport } from '../runtime-contract/job-builder';
import { TestRedis } from '../support/redis-server';
import { writeJobProgramConfig } from '../worker/worker-app';
import { batchReaches, http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';
import { processGone } from '../support/processes';

interface Failure {
  status: string;
  reason: string;
  code: number;
  message: string;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/**
 * Restart and copy end to end: the whole scheduler (api, worker, watcher) with the local runtime
 * on a real port, a real redis-server and real child processes running test/fixtures/job-program.js.
 */
describe('restart and copy end to end (HTTP API, Redis, BullMQ, local processes)', () => {
  let redis: TestRedis;
  let client: Redis;
  let scratch: string;
  let scheduler: SchedulerApp;
  let url: string;
  const keys = new RedisKeys('compute');

  beforeAll(async () => {
    redis = await TestRedis.start();
    client = redis.client();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-restart-'));
    scheduler = await startScheduler({
      RADIX_CONFIG: writeJobProgramConfig(scratch),
      REDIS_URL: redis.url,
      LOCAL_WORK_DIR: join(scratch, 'work'),
      // One slot: the restart of a running job must not wait for the slot its own earlier run holds.
      LOCAL_MAX_RUNNING: '1',
      LOCAL_STOP_GRACE_SECONDS: '2',
    });
    url = scheduler.url;
  });

  afterAll(async () => {
    await scheduler?.close();
    await client?.quit();
    await redis?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const file = (name: string) => join(scratch, `${name}-${randomBytes(4).toString('hex')}`);
  const payloadSeen = (path: string) => Buffer.from(readJobReport(path)?.payloadBase64 ?? '', 'base64').toString();
  const post = <T = JobStatusView>(path: string, json?: unknown) => http<T>(url, 'POST', `/api/v1${path}`, json);
  const get = <T = JobStatusView>(path: string) => http<T>(url, 'GET', `/api/v1${path}`);

  describe('restart', () => {
    it('runs a finished job again under its name from its stored spec and payload, earlier attempts kept and numbered on', async () => {
      const report = file('report');
      // A second's sleep: the restarted job is read before it can have finished again.
      const counter = file('attempts');
      const { body: created } = await post('/jobs', {
        jobId: 'again',
        payload: '{"n": 1}',
        variables: { SLEEP_SECONDS: '1', REPORT_FILE: report, PRINT: 'run', ATTEMPT_COUNTER_FILE: counter },
      });
      const first = await jobReaches(url, created.name, 'Succeeded');
      const firstPid = readJobReport(report)!.pid;

      const restart = await post(`/jobs/${created.name}/restart`);

      expect(restart).toEqual({ status: 200, body: { status: 'Success', message: `job ${created.name} successfully restarted`, code: 200 } });
      const restarted = (await get(`/jobs/${created.name}`)).body;
      expect(restarted.restart).toMatch(RFC3339);
      expect(restarted.ended).toBeUndefined();
      const again = await eventually(async () => {
        const job = (await get(`/jobs/${created.name}`)).body;
        return job.status === 'Succeeded' && job.podStatuses.length === 2 && job;
      }, 'the job to succeed again');
      expect(again).toMatchObject({ name: created.name, jobId: 'again', created: first.created, restart: restarted.restart, failed: 0 });
      expect(again.podStatuses.map((p) => [p.name, p.podIndex, p.replicaStatus.status])).toEqual([
        [`${created.name}-1`, 0, 'Succeeded'],
        [`${created.name}-2`, 1, 'Succeeded'],
      ]);
      expect(Date.parse(again.started!)).toBeGreaterThanOrEqual(Date.parse(restarted.restart!));
      const second = readJobReport(report)!;
      expect(second.pid).not.toBe(firstPid);
      expect(second.env.RADIX_JOB_NAME).toBe(created.name);
      expect(payloadSeen(report)).toBe('{"n": 1}');
      // Each attempt's output stays apart: attempt 2 is the new run's.
      const logs = async (attempt: number) => (await fetch(`${url}/api/v1/jobs/${created.name}/logs?attempt=${attempt}`)).text();
      expect(await logs(1)).toBe('run 1\n');
      expect(await logs(2)).toBe('run 2\n');
    });

    it('stops a running job and runs it again; the dying first run\'s report never touches the new run', async () => {
      const report = file('report');
      const { body: created } = await post('/jobs', { variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });
      const { pid: firstPid } = await eventually(() => readJobReport(report), 'the first run to start');
      await jobReaches(url, created.name, 'Running');

      expect((await post(`/jobs/${created.name}/restart`)).status).toBe(200);

      // The first run's process ends (and its runtime reports it `stopped`, of the first run) ...
      await eventually(() => processGone(firstPid), 'the first run\'s process to end');
      const second = await eventually(() => readJobReport(report)?.pid !== firstPid && readJobReport(report), 'the second run to start');
      // ... while the job runs again: that report, arriving after the restart, changed nothing.
      const running = await eventually(async () => {
        const job = (await get(`/jobs/${created.name}`)).body;
        return job.status === 'Running' && job.podStatuses.length === 2 && job;
      }, 'the second run to be recorded Running', 30_000);
      expect(running.podStatuses.map((p) => [p.name, p.replicaStatus.status])).toEqual([
        [`${created.name}-1`, 'Stopped'],
        [`${created.name}-2`, 'Running'],
      ]);
      expect(running.ended).toBeUndefined();
      expect(running.message).toBeUndefined();
      expect(processGone(second.pid)).toBe(false);

      expect((await post(`/jobs/${created.name}/stop`)).status).toBe(200);
      const stopped = await jobReaches(url, created.name, 'Stopped');
      expect(stopped.podStatuses.map((p) => p.replicaStatus.status)).toEqual(['Stopped', 'Stopped']);
      expect(processGone(second.pid)).toBe(true);
    });

    it('restarts every job of a batch, and one job of a batch by its short name; the batch runs again', async () => {
      const { body: batch } = await post<BatchStatusView>('/batches', {
        batchId: 'nightly',
        // `ok` sleeps a second: the restarted batch is read before it can have finished again.
        jobScheduleDescriptions: [{ jobId: 'ok', payload: 'first', variables: { SLEEP_SECONDS: '1' } }, { jobId: 'fails', payload: 'second', variables: { EXIT_CODE: '3' } }],
      });
      const jobName = (jobId: string) => batch.jobStatuses!.find((j) => j.jobId === jobId)!.name;
      expect((await batchReaches(url, batch.name)).status).toBe('Failed');
      expect(await client.zscore(keys.finished, batch.name)).not.toBeNull();

      expect(await post(`/batches/${batch.name}/restart`)).toEqual({
        status: 200,
        body: { status: 'Success', message: `batch ${batch.name} successfully restarted`, code: 200 },
      });

      // Unfinished again: out of retention's finished index until its jobs end again.
      expect(await client.zscore(keys.finished, batch.name)).toBeNull();
      expect((await get<BatchStatusView>(`/batches/${batch.name}`)).body.status).not.toMatch(/Succeeded|Failed|Stopped/);
      const ranTwice = await eventually(async () => {
        const current = (await get<BatchStatusView>(`/batches/${batch.name}`)).body;
        return current.status === 'Failed' && current.jobStatuses!.every((j) => j.podStatuses.length === 2) && current;
      }, 'both jobs to have run twice');
      expect(ranTwice.jobStatuses!.map((j) => [j.jobId, j.status, j.restart !== undefined, j.failed])).toEqual([
        ['ok', 'Succeeded', true, 0],
        ['fails', 'Failed', true, 2],
      ]);
      expect(await client.zscore(keys.finished, batch.name)).not.toBeNull();

      const short = jobName('ok').slice(batch.name.length + 1);
      expect(await post(`/batches/${batch.name}/jobs/${short}/restart`)).toEqual({
        status: 200,
        body: { status: 'Success', message: `job ${jobName('ok')} in the batch ${batch.name} successfully restarted`, code: 200 },
      });
      const third = await eventually(async () => {
        const job = (await get(`/batches/${batch.name}/jobs/${short}`)).body;
        return job.status === 'Succeeded' && job.podStatuses.length === 3 && job;
      }, 'the job to have run a third time');
      expect(third.podStatuses.map((p) => p.podIndex)).toEqual([0, 1, 2]);
      expect((await get(`/jobs/${jobName('fails')}`)).body.podStatuses).toHaveLength(2);
    });

    it('answers 409 for a job that is Stopping, changing nothing, and restarts it once it is Stopped', async () => {
      const report = file('report');
      // It ignores SIGTERM, so it stays Stopping for the grace period (2 s) until SIGKILL.
      const { body: created } = await post('/jobs', { variables: { SLEEP_SECONDS: '300', IGNORE_SIGTERM: '1', REPORT_FILE: report } });
      await eventually(() => readJobReport(report), 'the job to start');
      await jobReaches(url, created.name, 'Running');
      expect((await post(`/jobs/${created.name}/stop`)).status).toBe(200);
      const stopping = (await get(`/jobs/${created.name}`)).body;
      expect(stopping.status).toBe('Stopping');

      const refused = await post<Failure>(`/jobs/${created.name}/restart`);

      expect(refused).toEqual({
        status: 409,
        body: {
          status: 'Failure',
          reason: 'Conflict',
          code: 409,
          message: `job ${created.name} is Stopping: a restart now would be ended by the stop under way; restart it once it is Stopped`,
        },
      });
      const after = (await get(`/jobs/${created.name}`)).body;
      expect(after.restart).toBeUndefined();
      expect(['Stopping', 'Stopped']).toContain(after.status);

      await jobReaches(url, created.name, 'Stopped');
      expect((await post(`/jobs/${created.name}/restart`)).status).toBe(200);
      await eventually(async () => (await get(`/jobs/${created.name}`)).body.podStatuses.length === 2, 'the job to run again');
      expect((await post(`/jobs/${created.name}/stop`)).status).toBe(200);
      await jobReaches(url, created.name, 'Stopped');
    });

    it.each([
      ['/jobs/batch-compute-20990101000000-nosuchjb-nosuchjb/restart', 'job batch-compute-20990101000000-nosuchjb-nosuchjb is not found, so it cannot be restarted'],
      ['/batches/batch-compute-20990101000000-nosuchjb/restart', 'batch batch-compute-20990101000000-nosuchjb is not found, so it cannot be restarted'],
      ['/batches/batch-compute-20990101000000-nosuchjb/jobs/nosuchjb/restart', 'batch batch-compute-20990101000000-nosuchjb is not found'],
      ['/jobs/batch-compute-20990101000000-nosuchjb-nosuchjb/copy', 'job batch-compute-20990101000000-nosuchjb-nosuchjb is not found, so it cannot be copied'],
      ['/batches/batch-compute-20990101000000-nosuchjb/copy', 'batch batch-compute-20990101000000-nosuchjb is not found, so it cannot be copied'],
    ])('answers 404 for POST %s', async (path, message) => {
      const { status, body } = await post<Failure>(path);
      expect(status).toBe(404);
      expect(body).toMatchObject({ status: 'Failure', reason: 'NotFound', code: 404 });
      expect(body.message).toContain(message);
    });

    it('answers 404 saying so for a job whose payload is no longer stored (launched by an earlier version), and changes nothing', async () => {
      const { body: created } = await post('/jobs', { payload: 'kept only until launch by earlier versions' });
      await jobReaches(url, created.name, 'Succeeded');
      // What an earlier version left: the payload was dropped once the runtime held it.
      await client.del(keys.payload(created.name));
      const before = await client.hget(keys.job(created.name), 'doc');

      for (const action of ['restart', 'copy']) {
        const { status, body } = await post<Failure>(`/jobs/${created.name}/${action}`);
        expect(status).toBe(404);
        expect(body.message).toBe(
          `job ${created.name} cannot be ${action === 'restart' ? 'restarted' : 'copied'}: its payload is no longer stored (the scheduler version that launched it kept a payload only until launch)`,
        );
      }
      expect(await client.hget(keys.job(created.name), 'doc')).toBe(before);
    });

    it('answers 400 for a job of a batch restarted or copied through /jobs, pointing to the batch routes', async () => {
      const { body: batch } = await post<BatchStatusView>('/batches', { jobScheduleDescriptions: [{}] });
      const name = batch.jobStatuses![0].name;
      const restart = await post<Failure>(`/jobs/${name}/restart`);
      expect(restart.status).toBe(400);
      expect(restart.body.message).toBe(`job ${name} belongs to the batch ${batch.name}: restart it with POST /api/v1/batches/${batch.name}/jobs/${name}/restart`);
      const copy = await post<Failure>(`/jobs/${name}/copy`);
      expect(copy.status).toBe(400);
      expect(copy.body.message).toBe(`job ${name} belongs to the batch ${batch.name}: copy the batch with POST /api/v1/batches/${batch.name}/copy`);
    });
  });

  describe('copy', () => {
    it('copies a batch as a new batch with new names, the same specs and payloads, answering as a create', async () => {
      const reports = [file('a'), file('b')];
      const { body: original } = await post<BatchStatusView>('/batches', {
        batchId: 'to-copy',
        defaultRadixJobComponentConfig: { timeLimitSeconds: 77, variables: { FROM_DEFAULTS: 'yes' } },
        jobScheduleDescriptions: reports.map((report, i) => ({ jobId: `job-${i}`, payload: `payload ${i} ✓`, variables: { REPORT_FILE: report } })),
      });
      await batchReaches(url, original.name);
      const originalBefore = (await get<BatchStatusView>(`/batches/${original.name}`)).body;
      for (const report of reports) rmSync(report);

      const { status, body: copy } = await post<BatchStatusView>(`/batches/${original.name}/copy`);

      expect(status).toBe(200);
      expect(copy).toMatchObject({ batchId: 'to-copy', batchType: 'batch', status: 'Waiting' });
      expect(copy.name).not.toBe(original.name);
      expect(copy.jobStatuses!.map((j) => [j.jobId, j.status, j.podStatuses, j.batchName])).toEqual([
        ['job-0', 'Waiting', [], copy.name],
        ['job-1', 'Waiting', [], copy.name],
      ]);
      expect(copy.jobStatuses!.every((j) => j.name.startsWith(`${copy.name}-`))).toBe(true);
      expect(Object.keys(copy).sort()).toEqual(Object.keys(original).sort());
      await batchReaches(url, copy.name);
      reports.forEach((report, i) => {
        expect(payloadSeen(report)).toBe(`payload ${i} ✓`);
        expect(readJobReport(report)!.env).toMatchObject({ FROM_DEFAULTS: 'yes', RADIX_JOB_NAME: copy.jobStatuses![i].name });
      });
      const spec = JSON.parse((await client.hget(keys.job(copy.jobStatuses![0].name), 'spec'))!);
      expect(spec).toMatchObject({ timeLimitSeconds: 77, batchName: copy.name, name: copy.jobStatuses![0].name });
      // The original is untouched.
      expect((await get<BatchStatusView>(`/batches/${original.name}`)).body).toEqual(originalBefore);
    });

    it('replaces the image tag of every job with imageTagName', async () => {
      const { body: original } = await post<BatchStatusView>('/batches', { jobScheduleDescriptions: [{}, { imageTagName: 'old' }] });

      const { status, body: copy } = await post<BatchStatusView>(`/batches/${original.name}/copy`, { imageTagName: '2.0.1' });

      expect(status).toBe(200);
      for (const job of copy.jobStatuses!) {
        expect(JSON.parse((await client.hget(keys.job(job.name), 'spec'))!)).toMatchObject({ image: 'registry.example/compute:1.0.0', imageTagName: '2.0.1' });
      }
      const untouched = JSON.parse((await client.hget(keys.job(original.jobStatuses![1].name), 'spec'))!);
      expect(untouched.imageTagName).toBe('old');
    });

    it('copies a single job as a new single job, answering as POST /jobs does', async () => {
      const report = file('report');
      const { body: original } = await post('/jobs', { jobId: 'single', payload: 'one payload', variables: { REPORT_FILE: report } });
      await jobReaches(url, original.name, 'Succeeded');

      const { status, body: copy } = await post(`/jobs/${original.name}/copy`, { imageTagName: 'v2' });

      expect(status).toBe(200);
      expect(copy).toMatchObject({ jobId: 'single', status: 'Waiting', failed: 0, podStatuses: [] });
      expect(copy.name).not.toBe(original.name);
      expect(Object.keys(copy).sort()).toEqual(Object.keys(original).sort());
      await jobReaches(url, copy.name, 'Succeeded');
      expect(payloadSeen(report)).toBe('one payload');
      expect((await get<JobStatusView[]>('/jobs')).body.map((j) => j.name)).toEqual(expect.arrayContaining([original.name, copy.name]));
    });

    it.each([
      [{ imageTagName: 42 }, 'imageTagName must be a string, got a number'],
      [{ imageTagName: '' }, 'imageTagName must be an image tag: letters, digits, _, . and -, not starting with . or -'],
      [{ imageTagName: 'has space' }, 'imageTagName must be an image tag: letters, digits, _, . and -, not starting with . or -'],
      [{ imageTagName: 'x'.repeat(129) }, 'imageTagName must be at most 128 characters'],
      [[], 'the request body must be a JSON object, got an array'],
    ])('answers 422 for the body %j, creating nothing', async (json, message) => {
      const { body: original } = await post<BatchStatusView>('/batches', { jobScheduleDescriptions: [{}] });
      const batchesBefore = await client.zcard(keys.batches);

      const { status, body } = await post<Failure>(`/batches/${original.name}/copy`, json);

      expect(status).toBe(422);
      expect(body).toEqual({ status: 'Failure', reason: 'Invalid', code: 422, message });
      expect(await client.zcard(keys.batches)).toBe(batchesBefore);
    });
  });
});

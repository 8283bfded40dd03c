import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { eventually } from '../support/eventually';
import { JOB_PROGRAM, jobsThatRan, readJobReport } from '../runtime-contract/job-builder';
import { processGone } from '../support/processes';
import { REDIS_TOPOLOGIES, type RedisUnderTest, startRedisOf } from '../support/redis-topology';
import { writeJobProgramConfig } from '../worker/worker-app';
import { batchReaches, http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';

/**
 * End to end through the HTTP API: one process runs api, worker and watcher with the local runtime
 * (createScheduler, a real port, real fetch), a real redis-server, and real child processes running
 * test/fixtures/job-program.js. One suite body, run on one redis-server and on a three-master
 * Redis Cluster (REDIS_CLUSTER_NODES).
 */
describe.each(REDIS_TOPOLOGIES)('scheduler end to end (HTTP API, Redis, BullMQ, local processes), %s Redis', (topology) => {
  let redis: RedisUnderTest;
  let scratch: string;

  beforeAll(async () => {
    redis = await startRedisOf(topology);
    scratch = mkdtempSync(join(tmpdir(), 'rjs-e2e-'));
  }, 60_000);

  afterAll(async () => {
    await redis.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const file = (name: string) => join(scratch, `${name}-${randomBytes(4).toString('hex')}`);

  function startWith(maxRunning: number, dir: string) {
    return startScheduler({
      RADIX_CONFIG: writeJobProgramConfig(dir, '      args: ["--from-component"]\n'),
      ...redis.env,
      LOCAL_WORK_DIR: join(dir, 'work'),
      LOCAL_MAX_RUNNING: String(maxRunning),
      LOCAL_STOP_GRACE_SECONDS: '2',
    });
  }

  describe('with room for several jobs at once', () => {
    let scheduler: SchedulerApp;
    let url: string;
    const post = (json: unknown) => http<JobStatusView>(url, 'POST', '/api/v1/jobs', json);

    beforeAll(async () => {
      await redis.flush();
      scheduler = await startWith(4, mkdtempSync(join(scratch, 'app-')));
      url = scheduler.url;
    });

    afterAll(async () => {
      await scheduler.close();
    });

    it('runs a job to Succeeded', async () => {
      const created = await post({ jobId: 'my-id' });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ status: 'Waiting', jobId: 'my-id' });

      const job = await jobReaches(url, created.body.name);

      expect(job).toMatchObject({ status: 'Succeeded', jobId: 'my-id', failed: 0 });
      expect(job.started).toBeDefined();
      expect(job.ended).toBeDefined();
      expect(job.podStatuses).toEqual([expect.objectContaining({ exitCode: 0, reason: 'Completed', replicaStatus: { status: 'Succeeded' } })]);
    });

    it('retries a failing job up to backoffLimit 2 and fails it with three attempts recorded', async () => {
      const { body } = await post({ backoffLimit: 2, variables: { EXIT_CODE: '3' } });

      const job = await jobReaches(url, body.name);

      expect(job).toMatchObject({ status: 'Failed', failed: 3, message: 'Job has reached the specified backoff limit' });
      expect(job.podStatuses.map((p) => [p.exitCode, p.replicaStatus.status])).toEqual([
        [3, 'Failed'],
        [3, 'Failed'],
        [3, 'Failed'],
      ]);
    });

    it('fails a job after one attempt when a FailJob rule matches exit code 42', async () => {
      const { body } = await post({
        backoffLimit: 3,
        failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
        variables: { EXIT_CODE: '42' },
      });

      const job = await jobReaches(url, body.name);

      expect(job.status).toBe('Failed');
      expect(job.message).toContain('exit code 42');
      expect(job.podStatuses).toHaveLength(1);
    });

    it('retries without counting when an Ignore rule matches', async () => {
      const counter = file('attempts');
      const { body } = await post({
        backoffLimit: 0,
        failurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } }] },
        variables: { EXIT_CODE: '7', FAIL_FIRST_ATTEMPTS: '1', ATTEMPT_COUNTER_FILE: counter },
      });

      const job = await jobReaches(url, body.name);

      expect(job.status).toBe('Succeeded');
      expect(job.podStatuses.map((p) => p.exitCode)).toEqual([7, 0]);
    });

    it('kills a job that exceeds its time limit and says so', async () => {
      const report = file('report');
      const { body } = await post({ timeLimitSeconds: 2, variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });

      const job = await jobReaches(url, body.name);

      expect(job.status).toBe('Failed');
      expect(job.message).toMatch(/longer than specified deadline.*2 seconds/);
      expect(job.podStatuses[0]).toMatchObject({ reason: 'DeadlineExceeded', replicaStatus: { status: 'Failed' } });
      expect(processGone(readJobReport(report)!.pid)).toBe(true);
    });

    it('stops a running job', async () => {
      const report = file('report');
      const { body } = await post({ variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });
      const { pid } = await eventually(() => readJobReport(report), 'the job to start');
      await jobReaches(url, body.name, 'Running');

      const stop = await http(url, 'POST', `/api/v1/jobs/${body.name}/stop`);

      expect(stop.status).toBe(200);
      const job = await jobReaches(url, body.name);
      expect(job.status).toBe('Stopped');
      expect(job.podStatuses[0].replicaStatus.status).toBe('Stopped');
      expect(processGone(pid)).toBe(true);
    });

    it('deletes a running job: gone from the API, its process ended', async () => {
      const report = file('report');
      const { body } = await post({ variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });
      const { pid } = await eventually(() => readJobReport(report), 'the job to start');

      const deleted = await http(url, 'DELETE', `/api/v1/jobs/${body.name}`);

      expect(deleted.status).toBe(200);
      expect((await http(url, 'GET', `/api/v1/jobs/${body.name}`)).status).toBe(404);
      await eventually(() => processGone(pid), 'the job process to end');
    });

    it('runs a batch with mixed outcomes and derives the batch status from its jobs', async () => {
      const report = file('report');
      const created = await http<BatchStatusView>(url, 'POST', '/api/v1/batches', {
        batchId: 'mixed',
        jobScheduleDescriptions: [
          { jobId: 'ok' },
          { jobId: 'fails', variables: { EXIT_CODE: '3' } },
          { jobId: 'stopped', variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } },
        ],
      });
      expect(created.status).toBe(200);
      const batchName = created.body.name;
      const jobName = (jobId: string) => created.body.jobStatuses!.find((j) => j.jobId === jobId)!.name;
      await eventually(() => readJobReport(report), 'the third job to start');
      expect((await http<BatchStatusView>(url, 'GET', `/api/v1/batches/${batchName}`)).body.status).toBe('Running');

      expect((await http(url, 'POST', `/api/v1/batches/${batchName}/jobs/${jobName('stopped')}/stop`)).status).toBe(200);

      const batch = await batchReaches(url, batchName);
      expect(batch).toMatchObject({ status: 'Failed', batchId: 'mixed' });
      const byId = Object.fromEntries(batch.jobStatuses!.map((j) => [j.jobId, j]));
      expect(byId.ok).toMatchObject({ status: 'Succeeded', podStatuses: [expect.objectContaining({ exitCode: 0 })] });
      expect(byId.fails).toMatchObject({ status: 'Failed', podStatuses: [expect.objectContaining({ exitCode: 3 })] });
      expect(byId.stopped).toMatchObject({ status: 'Stopped', podStatuses: [expect.objectContaining({ replicaStatus: { status: 'Stopped' } })] });
    });

    it('hands the job a 1 MB payload byte for byte', async () => {
      const report = file('report');
      // 6 bytes of UTF-8 per repetition (1, 2 and 3 bytes per character), padded to exactly 1 MB.
      const payload = 'aé✓'.repeat(174_762) + 'aaaa';
      expect(Buffer.byteLength(payload)).toBe(1_048_576);
      const { body } = await post({ payload, variables: { REPORT_FILE: report } });

      expect((await jobReaches(url, body.name)).status).toBe('Succeeded');
      const seen = Buffer.from(readJobReport(report)!.payloadBase64!, 'base64');
      expect(seen.equals(Buffer.from(payload, 'utf8'))).toBe(true);
    });

    it('hands the job binary data sent as base64 unchanged', async () => {
      const report = file('report');
      const data = randomBytes(600_000);
      const { body } = await post({ payload: data.toString('base64'), variables: { REPORT_FILE: report } });

      expect((await jobReaches(url, body.name)).status).toBe('Succeeded');
      const seen = Buffer.from(readJobReport(report)!.payloadBase64!, 'base64').toString('utf8');
      expect(Buffer.from(seen, 'base64').equals(data)).toBe(true);
    });

    it('gives the process the merged variables and the command and args of the request', async () => {
      const report = file('report');
      const defaults = await post({ variables: { REPORT_FILE: report, GREETING: 'from the request' } });
      await jobReaches(url, defaults.body.name);
      const seenWithDefaults = readJobReport(report)!;
      expect(seenWithDefaults.argv).toEqual(['--from-component']);
      expect(seenWithDefaults.env).toMatchObject({ FROM_COMPONENT: 'component', GREETING: 'from the request', RADIX_JOB_NAME: defaults.body.name });

      const overridden = await post({ command: [process.execPath, JOB_PROGRAM, 'from-command'], args: ['from-args'], variables: { REPORT_FILE: report } });
      await jobReaches(url, overridden.body.name);
      expect(readJobReport(report)!.argv).toEqual(['from-command', 'from-args']);
    });
  });

  describe('with room for one job at a time', () => {
    let scheduler: SchedulerApp;
    let url: string;

    beforeAll(async () => {
      await redis.flush();
      scheduler = await startWith(1, mkdtempSync(join(scratch, 'app-')));
      url = scheduler.url;
    });

    afterAll(async () => {
      await scheduler.close();
    });

    it('keeps later jobs Waiting; one stopped while Waiting stops at once and never runs', async () => {
      const events = file('events');
      const post = (variables: Record<string, string>) => http<JobStatusView>(url, 'POST', '/api/v1/jobs', { variables: { EVENTS_FILE: events, ...variables } });
      const long = (await post({ SLEEP_SECONDS: '300' })).body.name;
      const waiting = (await post({})).body.name;
      const after = (await post({})).body.name;
      await eventually(() => jobsThatRan(events).includes(long), 'the first job to start');
      expect((await http<JobStatusView>(url, 'GET', `/api/v1/jobs/${waiting}`)).body.status).toBe('Waiting');

      expect((await http(url, 'POST', `/api/v1/jobs/${waiting}/stop`)).status).toBe(200);

      expect((await http<JobStatusView>(url, 'GET', `/api/v1/jobs/${waiting}`)).body.status).toBe('Stopped');
      await http(url, 'POST', `/api/v1/jobs/${long}/stop`);
      expect((await jobReaches(url, after)).status).toBe('Succeeded');
      expect(jobsThatRan(events)).toEqual([long, after]);
      expect((await http<JobStatusView>(url, 'GET', `/api/v1/jobs/${waiting}`)).body).toMatchObject({ status: 'Stopped', podStatuses: [] });
    });
  });
});

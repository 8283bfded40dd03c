import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { eventually } from '../support/eventually';
import { printedLines as lines } from '../runtime-contract/job-builder';
import { openPaths } from '../support/open-files';
import { TestRedis } from '../support/redis-server';
import { writeJobProgramConfig } from '../worker/worker-app';
import { followLogs, getText, printing, ranJob } from './logs-client';
import { http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';

/**
 * The logs routes over real HTTP, with the local runtime: the whole scheduler in one process runs
 * test/fixtures/job-program.js as child processes printing known lines; a second process with the
 * role api alone reads the same LOCAL_WORK_DIR.
 */
describe('job logs end to end (HTTP API, local runtime)', () => {
  let redis: TestRedis;
  let scratch: string;
  let scheduler: SchedulerApp;
  let apiAlone: SchedulerApp;

  beforeAll(async () => {
    redis = await TestRedis.start();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-logs-e2e-'));
    const env = { RADIX_CONFIG: writeJobProgramConfig(scratch), REDIS_URL: redis.url, LOCAL_WORK_DIR: join(scratch, 'work'), LOCAL_MAX_RUNNING: '4' };
    scheduler = await startScheduler(env);
    apiAlone = await startScheduler({ ...env, ROLES: 'api' });
  });

  afterAll(async () => {
    await apiAlone?.close();
    await scheduler?.close();
    await redis?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers what the latest attempt printed, as text/plain, stdout then stderr', async () => {
    const job = await ranJob(scheduler.url, printing(3, { STDERR_LINES: '1' }));
    const response = await fetch(`${scheduler.url}/api/v1/jobs/${job.name}/logs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(`${lines(1, 1, 3)}attempt 1 error 1\n`);
  });

  it('answers an earlier attempt by its number, and 404 for an attempt the job never had', async () => {
    const job = await ranJob(scheduler.url, { ...printing(2, { FAIL_FIRST_ATTEMPTS: '1', ATTEMPT_COUNTER_FILE: join(scratch, 'attempts') }), backoffLimit: 1 });
    expect(job.podStatuses).toHaveLength(2);

    expect((await getText(scheduler.url, `/api/v1/jobs/${job.name}/logs?attempt=1`)).text).toBe(lines(1, 1, 2));
    expect((await getText(scheduler.url, `/api/v1/jobs/${job.name}/logs`)).text).toBe(lines(2, 1, 2));
    const third = await http(scheduler.url, 'GET', `/api/v1/jobs/${job.name}/logs?attempt=3`);
    expect(third).toEqual({
      status: 404,
      body: { status: 'Failure', reason: 'NotFound', code: 404, message: `job ${job.name} has no attempt 3: it has 2 attempts so far` },
    });
  });

  it('answers the last tailLines lines', async () => {
    const job = await ranJob(scheduler.url, printing(10));
    expect((await getText(scheduler.url, `/api/v1/jobs/${job.name}/logs?tailLines=2`)).text).toBe(lines(1, 9, 10));
  });

  it('follows a running job: lines come while it runs, and the answer ends when it ends', async () => {
    const created = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', printing(5, { LINE_INTERVAL_MS: '400' }));
    await jobReaches(scheduler.url, created.body.name, 'Running');

    const followed = await followLogs(scheduler.url, created.body.name);

    expect(followed).toEqual({ status: 200, text: lines(1, 1, 5), jobStatusAtFirstChunk: 'Running' });
    expect((await jobReaches(scheduler.url, created.body.name, undefined, 5000)).status).toBe('Succeeded');
  });

  it('answers HEAD with the headers alone, and reads nothing for it', async () => {
    const created = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', printing(100, { LINE_INTERVAL_MS: '100' }));
    await jobReaches(scheduler.url, created.body.name, 'Running');
    const stdout = join(scheduler.config.local.workDir, created.body.name, 'attempt-1.stdout.log');

    const head = await fetch(`${scheduler.url}/api/v1/jobs/${created.body.name}/logs?follow=true`, { method: 'HEAD' });

    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // This process runs the API: no file of the attempt stays open in it (the job's own process is another).
    await eventually(() => !openPaths().includes(stdout), 'the log file to be closed', 5000);
    await http(scheduler.url, 'POST', `/api/v1/jobs/${created.body.name}/stop`);
  });

  it('answers the logs of a job of a batch by its short name', async () => {
    const created = await http<BatchStatusView>(scheduler.url, 'POST', '/api/v1/batches', {
      jobScheduleDescriptions: [printing(1), printing(2)],
    });
    const [, second] = created.body.jobStatuses!;
    await jobReaches(scheduler.url, second.name, 'Succeeded');
    const short = second.name.slice(created.body.name.length + 1);

    const answer = await getText(scheduler.url, `/api/v1/batches/${created.body.name}/jobs/${short}/logs`);
    expect(answer).toMatchObject({ status: 200, text: lines(1, 1, 2) });
  });

  it('is served by a process with the role api alone, from the same work directory', async () => {
    const job = await ranJob(scheduler.url, printing(4));
    expect(await getText(apiAlone.url, `/api/v1/jobs/${job.name}/logs?tailLines=1`)).toMatchObject({ status: 200, text: lines(1, 4, 4) });
  });

  it('answers 404 for an unknown job, and 422 naming every bad parameter', async () => {
    expect(await http(scheduler.url, 'GET', '/api/v1/jobs/batch-compute-20240101000000-aaaaaaaa-nothere/logs')).toEqual({
      status: 404,
      body: { status: 'Failure', reason: 'NotFound', code: 404, message: 'job batch-compute-20240101000000-aaaaaaaa-nothere is not found' },
    });
    expect((await http(scheduler.url, 'GET', '/api/v1/batches/batch-compute-20240101000000-aaaaaaaa/jobs/nothere/logs')).status).toBe(404);

    const job = await ranJob(scheduler.url, printing(1));
    expect(await http(scheduler.url, 'GET', `/api/v1/jobs/${job.name}/logs?attempt=0&tailLines=-1&follow=maybe`)).toEqual({
      status: 422,
      body: {
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        message:
          'attempt must be a whole number from 1 to 999999999999999; tailLines must be a whole number from 0 to 999999999999999; follow must be true or false',
      },
    });
  });

  it('answers 404 saying so for a job that has not started yet', async () => {
    // No worker on this Redis: the job stays Waiting.
    const idleRedis = await TestRedis.start();
    const idle = await startScheduler({ RADIX_CONFIG: writeJobProgramConfig(scratch), REDIS_URL: idleRedis.url, LOCAL_WORK_DIR: join(scratch, 'idle'), ROLES: 'api' });
    try {
      const created = await http<JobStatusView>(idle.url, 'POST', '/api/v1/jobs', printing(1));
      expect(await http(idle.url, 'GET', `/api/v1/jobs/${created.body.name}/logs?follow=true`)).toEqual({
        status: 404,
        body: { status: 'Failure', reason: 'NotFound', code: 404, message: `job ${created.body.name} has not started yet: it has no logs` },
      });
    } finally {
      await idle.close();
      await idleRedis.stop();
    }
  });

  it('cuts an open follow when the scheduler shuts down, instead of waiting for the job', async () => {
    const own = await startScheduler({ RADIX_CONFIG: writeJobProgramConfig(scratch), REDIS_URL: redis.url, LOCAL_WORK_DIR: join(scratch, 'work'), ROLES: 'api' });
    const job = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', printing(100, { LINE_INTERVAL_MS: '200' }));
    await jobReaches(scheduler.url, job.body.name, 'Running');
    const response = await fetch(`${own.url}/api/v1/jobs/${job.body.name}/logs?follow=true`);
    const reader = response.body!.getReader();
    await reader.read();

    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(5000);
    // Cut, not ended: the client does not take it for the whole output.
    const rest = (async () => {
      for (let next = await reader.read(); !next.done; next = await reader.read());
    })();
    await expect(rest).rejects.toThrow();
    await http(scheduler.url, 'POST', `/api/v1/jobs/${job.body.name}/stop`);
  });
});

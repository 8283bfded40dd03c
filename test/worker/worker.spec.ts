import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JobRecord, type JobRuntime, JobAcceptor, RuntimeUnavailableError, type WorkQueue, systemClock } from '@rjs/core';
import { LocalJobRuntime, SHUTDOWN_MESSAGE } from '@rjs/runtime';
import { eventually } from '../support/eventually';
import { jobsThatRan, readJobReport } from '../runtime-contract/job-builder';
import { processGone } from '../support/processes';
import { keysOf, REDIS_TOPOLOGIES, type RedisUnderTest, startRedisOf } from '../support/redis-topology';
import { RedisKeys } from '@rjs/store';
import { controlQueueName, launchQueueName, queuePrefix } from '@rjs/queue';
import { LogCapture } from '../support/app-fixture';
import { killQueueWorkers, startWorker, type WorkerHarness, type WorkerSetup, writeJobProgramConfig } from './worker-app';

interface FlakyRuntime extends JobRuntime {
  /** When each launch was tried (ms since the epoch). */
  readonly tries: number[];
}

/**
 * A runtime whose launch fails `failures` times with an error that may pass (as an unreachable
 * API server does), then works. With `slotWaitMs`, the first launch first waits that long for a
 * free slot, as the local runtime does when its cap is reached.
 */
function flakyRuntime(failures: number, slotWaitMs = 0): FlakyRuntime {
  const tries: number[] = [];
  const launched = new Set<string>();
  let slotWaits = 0;
  return {
    kind: 'local',
    tries,
    start: async () => undefined,
    launch: async (job) => {
      tries.push(Date.now());
      if (tries.length <= failures) throw new RuntimeUnavailableError(`the runtime is unavailable (try ${tries.length})`);
      launched.add(job.name);
    },
    ...(slotWaitMs > 0 && { whenSlotFree: () => new Promise<void>((resolve) => setTimeout(resolve, slotWaits++ === 0 ? slotWaitMs : 0)) }),
    stop: async () => undefined,
    remove: async () => undefined,
    has: async (name) => launched.has(name),
    close: async () => undefined,
  };
}

// One suite body, run on one redis-server and on a three-master Redis Cluster.
describe.each(REDIS_TOPOLOGIES)('worker role with the local runtime (JobAcceptor -> queue -> worker -> runtime -> records), %s Redis', (topology) => {
  let redis: RedisUnderTest;
  let scratch: string;
  let setup: WorkerSetup;
  const started: WorkerHarness[] = [];

  beforeAll(async () => {
    redis = await startRedisOf(topology);
  }, 60_000);

  afterAll(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    await redis.flush();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-worker-'));
    setup = { redisUrl: redis.target.redisUrl, redisEnv: redis.env, radixConfig: writeJobProgramConfig(scratch), workDir: join(scratch, 'work') };
  });

  afterEach(async () => {
    for (const harness of started.splice(0).reverse()) await harness.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function worker(extra: Partial<WorkerSetup> = {}): Promise<WorkerHarness> {
    const harness = await startWorker({ ...setup, ...extra });
    started.push(harness);
    return harness;
  }

  const finalRecord = (harness: WorkerHarness, name: string, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const record = await harness.store.getJob(name);
        return record && ['Succeeded', 'Failed', 'Stopped'].includes(record.status) ? record : undefined;
      },
      `job ${name} to end`,
      timeoutMs,
    );
  const recordIn = (harness: WorkerHarness, name: string, status: JobRecord['status']) =>
    eventually(async () => (await harness.store.getJob(name))?.status === status, `job ${name} to be ${status}`);
  const readPid = async (file: string): Promise<number> => (await eventually(() => readJobReport(file), 'the job program to start')).pid;

  it('runs an accepted job to Succeeded, with its attempt, start and end', async () => {
    const harness = await worker();
    const { jobs } = await harness.acceptor.acceptJob({ variables: { PRINT: 'hello' } });

    const record = await finalRecord(harness, jobs[0].name);

    expect(record).toMatchObject({ status: 'Succeeded', launched: true, failed: 0 });
    expect(record.started).toBeDefined();
    expect(record.ended).toBeDefined();
    expect(record.podStatuses).toEqual([expect.objectContaining({ name: `${jobs[0].name}-1`, exitCode: 0, replicaStatus: { status: 'Succeeded' } })]);
  });

  it('retries a failing job until its backoff limit and records every attempt', async () => {
    const harness = await worker();
    const { jobs } = await harness.acceptor.acceptJob({ backoffLimit: 2, variables: { EXIT_CODE: '5' } });

    const record = await finalRecord(harness, jobs[0].name);

    expect(record).toMatchObject({ status: 'Failed', failed: 3, message: 'Job has reached the specified backoff limit' });
    expect(record.podStatuses.map((p) => p.exitCode)).toEqual([5, 5, 5]);
  });

  it('starts and runs a job without a warning: its periodic tasks wait for Redis to be connected', async () => {
    const lines: string[] = [];
    const logs = { write: (line: string) => void lines.push(line) };
    const harness = await worker({ logs });
    const { jobs } = await harness.acceptor.acceptJob({});
    await finalRecord(harness, jobs[0].name);
    expect(lines).toEqual([]);
  });

  it('has one BullMQ worker on each of its component\'s queues', async () => {
    const harness = await worker();

    await eventually(async () => (await harness.launchQueue.getWorkersCount()) === 1 && (await harness.controlQueue.getWorkersCount()) === 1, 'the workers to connect');
    expect([harness.launchQueue.name, harness.controlQueue.name]).toEqual([launchQueueName('compute'), controlQueueName('compute')]);
  });

  it('writes every key of the component, status records and queues, under its hash tag', async () => {
    const harness = await worker();
    const { jobs } = await harness.acceptor.acceptJob({});
    await finalRecord(harness, jobs[0].name);

    const client = redis.client();
    try {
      const keys = await keysOf(client, '*');
      expect(keys).toEqual(expect.arrayContaining([new RedisKeys('compute').job(jobs[0].name), `${queuePrefix('compute')}:${launchQueueName('compute')}:completed`]));
      expect(keys.filter((key) => !key.startsWith(`${RedisKeys.prefix('compute')}:`) && !key.startsWith(`${queuePrefix('compute')}:`))).toEqual([]);
    } finally {
      await client.quit();
    }
  });

  it('fails a job that cannot run locally with a message, and ends its queue work as unrecoverable', async () => {
    const logs = new LogCapture();
    const harness = await worker({ logs });
    const { jobs } = await harness.acceptor.acceptJob({ command: [] });

    const record = await finalRecord(harness, jobs[0].name);

    expect(record.status).toBe('Failed');
    expect(record.message).toMatch(/could not be launched: .*has no command/);
    const work = await eventually(async () => (await harness.launchQueue.getFailed()).find((w) => w.data.jobName === jobs[0].name), 'the failed work');
    expect(work.failedReason).toMatch(/has no command/);
    expect(work.attemptsMade).toBe(1);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ msg: 'work failed', queue: launchQueueName('compute'), job: jobs[0].name, err: expect.objectContaining({ message: expect.stringMatching(/has no command/) }) }),
    );
  });

  it('stops a running job: Stopping, then Stopped once its process has ended', async () => {
    const harness = await worker();
    const report = join(scratch, 'report.json');
    const { jobs } = await harness.acceptor.acceptJob({ variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });
    const pid = await readPid(report);
    await recordIn(harness, jobs[0].name, 'Running');

    await harness.stopper.stopSingleJob(jobs[0].name);

    const record = await finalRecord(harness, jobs[0].name);
    expect(record.status).toBe('Stopped');
    expect(processGone(pid)).toBe(true);
  });

  it('retries a stop that fails until it goes through, with waits that stop growing at a minute', async () => {
    const real = new LocalJobRuntime({ workDir: setup.workDir, maxRunning: 4, stopGraceSeconds: 2 });
    let stopCalls = 0;
    // The runtime refuses the first two stops, as an API server that is down would.
    const flaky: JobRuntime = {
      kind: 'local',
      start: (onObservation) => real.start(onObservation),
      launch: (job, payload) => real.launch(job, payload),
      stop: async (name) => {
        if (++stopCalls <= 2) throw new Error('connect ECONNREFUSED');
        await real.stop(name);
      },
      remove: (name) => real.remove(name),
      has: (name) => real.has(name),
      close: () => real.close(),
    };
    const harness = await worker({ overrides: { runtime: flaky } });
    const report = join(scratch, 'report.json');
    const { jobs } = await harness.acceptor.acceptJob({ variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });
    const pid = await readPid(report);
    await recordIn(harness, jobs[0].name, 'Running');

    await harness.stopper.stopSingleJob(jobs[0].name);

    expect((await finalRecord(harness, jobs[0].name)).status).toBe('Stopped');
    expect(processGone(pid)).toBe(true);
    expect(stopCalls).toBe(3);
    const [work] = await harness.controlQueue.getCompleted();
    expect(work.attemptsMade).toBe(3);
    // Never given up for a count of attempts; each wait is the workers' capped backoff (launch-retry.spec.ts).
    // (Number.MAX_SAFE_INTEGER comes back from Redis rounded, as a Lua number.)
    expect(work.opts.attempts).toBeGreaterThan(1e15);
    expect(work.opts.backoff).toEqual({ type: 'control-retry' });
  });

  it('deletes a running job: the record goes at once, the process and its files soon after', async () => {
    const harness = await worker();
    const report = join(scratch, 'report.json');
    const { jobs } = await harness.acceptor.acceptJob({ payload: 'secret', variables: { SLEEP_SECONDS: '300', REPORT_FILE: report } });
    const pid = await readPid(report);
    const dir = (harness.runtime as LocalJobRuntime).directoryOf(jobs[0].name);
    expect(existsSync(dir)).toBe(true);

    await harness.remover.deleteSingleJob(jobs[0].name);

    expect(await harness.store.getJob(jobs[0].name)).toBeUndefined();
    await eventually(() => processGone(pid) && !existsSync(dir), 'the process and its directory to be gone');
    expect(await harness.runtime.has(jobs[0].name)).toBe(false);
  });

  it('keeps jobs beyond the cap Waiting in order, and a stopped Waiting job never runs', async () => {
    const harness = await worker({ env: { LOCAL_MAX_RUNNING: '1' } });
    const events = join(scratch, 'events');
    const long = await harness.acceptor.acceptJob({ variables: { SLEEP_SECONDS: '300', EVENTS_FILE: events } });
    const stopped = await harness.acceptor.acceptJob({ variables: { EVENTS_FILE: events } });
    const next = await harness.acceptor.acceptJob({ variables: { EVENTS_FILE: events } });
    await eventually(() => jobsThatRan(events).includes(long.jobs[0].name), 'the long job to start');
    expect((await harness.store.getJob(stopped.jobs[0].name))?.status).toBe('Waiting');
    expect((await harness.store.getJob(next.jobs[0].name))?.status).toBe('Waiting');

    await harness.stopper.stopSingleJob(stopped.jobs[0].name);
    expect((await harness.store.getJob(stopped.jobs[0].name))?.status).toBe('Stopped');
    await harness.stopper.stopSingleJob(long.jobs[0].name);

    expect((await finalRecord(harness, next.jobs[0].name)).status).toBe('Succeeded');
    expect(jobsThatRan(events)).toEqual([long.jobs[0].name, next.jobs[0].name]);
    expect(await harness.store.getJob(stopped.jobs[0].name)).toMatchObject({ status: 'Stopped', podStatuses: [] });
  });

  it('queues jobs that were accepted while the queue was down (dispatch outbox)', async () => {
    const harness = await worker();
    const downQueue: WorkQueue = {
      enqueueDispatch: () => Promise.reject(new Error('queue down')),
      enqueueLaunch: () => Promise.reject(new Error('queue down')),
      cancelLaunch: () => Promise.reject(new Error('queue down')),
      enqueueStop: () => Promise.reject(new Error('queue down')),
      enqueueRemove: () => Promise.reject(new Error('queue down')),
    };
    const acceptor = new JobAcceptor(harness.config.component, harness.store, downQueue, systemClock);

    const { jobs } = await acceptor.acceptJob({});

    expect((await finalRecord(harness, jobs[0].name)).status).toBe('Succeeded');
  });

  it('launches a job once when its worker dies mid-launch and another worker takes the work over', async () => {
    const counter = join(scratch, 'attempts');
    const real = new LocalJobRuntime({ workDir: setup.workDir, maxRunning: 4, stopGraceSeconds: 2 });
    // The first worker spawns the job, then hangs before recording anything, as if it had died there.
    const dying: JobRuntime = {
      kind: 'local',
      start: () => real.start(() => new Promise(() => undefined)),
      launch: async (job, payload) => {
        await real.launch(job, payload);
        await new Promise(() => undefined);
      },
      stop: (name) => real.stop(name),
      remove: (name) => real.remove(name),
      has: (name) => real.has(name),
      close: () => real.close(),
    };
    const first = await worker({ overrides: { runtime: dying }, options: { lockDurationMs: 1500, stalledIntervalMs: 500 } });
    const { jobs } = await first.acceptor.acceptJob({ variables: { SLEEP_SECONDS: '300', ATTEMPT_COUNTER_FILE: counter } });
    await eventually(() => existsSync(counter), 'the first worker to spawn the job');
    // The first worker's queue connection dies with it: its lock on the work expires.
    await killQueueWorkers(first.context);

    const second = await worker({ options: { lockDurationMs: 1500, stalledIntervalMs: 500 } });

    await eventually(async () => (await second.store.getJob(jobs[0].name))?.launched, 'the second worker to record the launch');
    const work = await eventually(async () => (await second.launchQueue.getCompleted()).find((w) => w.data.jobName === jobs[0].name), 'the work to complete');
    expect(work.returnvalue).toBe('launched');
    expect(readFileSync(counter, 'utf8')).toBe('1');
    expect(await second.runtime.has(jobs[0].name)).toBe(true);
  });

  it('on shutdown, fails the jobs it runs with a message and puts work waiting for a slot back in the queue', async () => {
    const first = await worker({ env: { LOCAL_MAX_RUNNING: '1' } });
    const running = await first.acceptor.acceptJob({ variables: { SLEEP_SECONDS: '300' } });
    const waiting = await first.acceptor.acceptJob({});
    await recordIn(first, running.jobs[0].name, 'Running');
    await eventually(async () => (await first.launchQueue.getActive()).some((w) => w.data.jobName === waiting.jobs[0].name), 'the waiting work to be taken');

    await first.close();

    const second = await worker();
    expect(await second.store.getJob(running.jobs[0].name)).toMatchObject({ status: 'Failed', message: SHUTDOWN_MESSAGE });
    expect((await finalRecord(second, waiting.jobs[0].name)).status).toBe('Succeeded');
    const work = (await second.launchQueue.getCompleted()).find((w) => w.data.jobName === waiting.jobs[0].name);
    expect(work?.stacktrace ?? []).toEqual([]);
    expect(work?.failedReason).toBeUndefined();
  });

  describe('launch retries, up to the give-up time (LAUNCH_RETRY_TIMEOUT_SECONDS)', () => {
    it('fails a job whose launch keeps failing once the give-up time has passed, with the last error, and tries no more', async () => {
      const runtime = flakyRuntime(Infinity);
      const harness = await worker({ env: { LAUNCH_RETRY_TIMEOUT_SECONDS: '4' }, overrides: { runtime } });
      const { jobs } = await harness.acceptor.acceptJob({});
      const name = jobs[0].name;

      await recordIn(harness, name, 'Failed');

      const record = await harness.store.getJob(name);
      expect(record?.message).toBe(`the job could not be launched within 4s: the runtime is unavailable (try ${runtime.tries.length})`);
      // Waits of 1, 2 and 4 s, the last one cut to end on the give-up time.
      expect(runtime.tries.length).toBeGreaterThanOrEqual(4);
      const span = runtime.tries[runtime.tries.length - 1] - runtime.tries[0];
      expect(span).toBeGreaterThanOrEqual(4000);
      expect(span).toBeLessThan(5000);
      const work = await harness.launchQueue.getJob(name);
      expect(await work?.getState()).toBe('failed');
      expect(work).toMatchObject({ failedReason: record?.message, attemptsMade: runtime.tries.length });

      const tries = runtime.tries.length;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(runtime.tries).toHaveLength(tries);
      expect((await harness.store.getJob(name))?.status).toBe('Failed');
    });

    it('counts the give-up time from the first failed launch, not from queueing', async () => {
      // The work waits 2.5 s for a slot, longer than the 2 s give-up time, then fails once.
      const runtime = flakyRuntime(1, 2500);
      const harness = await worker({ env: { LAUNCH_RETRY_TIMEOUT_SECONDS: '2' }, overrides: { runtime } });
      const { jobs } = await harness.acceptor.acceptJob({});
      const name = jobs[0].name;

      // Read again once completed: a copy read while the work was still active has no return value,
      // and the state may change between the read and getState (a wider window on a cluster).
      const work = await eventually(async () => {
        const found = await harness.launchQueue.getJob(name);
        return (await found?.getState()) === 'completed' && harness.launchQueue.getJob(name);
      }, 'the launch to complete', 20_000);

      expect(work.returnvalue).toBe('launched');
      expect(runtime.tries).toHaveLength(2);
      expect(await harness.store.getJob(name)).toMatchObject({ status: 'Active', launched: true });
    });
  });
});

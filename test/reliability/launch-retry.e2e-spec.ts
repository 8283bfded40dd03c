import type Redis from 'ioredis';
import { JobAcceptor, JobLauncher, type JobRuntime, ObservationRecorder, type ResolvedJob, systemClock, type WorkQueue } from '@rjs/core';
import { RedisStatusStore, RedisKeys } from '@rjs/store';
import { TestRedis } from '../support/redis-server';

/**
 * A launch retried after it stopped half-way. Found by kubernetes-faults.slow-spec.ts: the Job was
 * created, creating its payload Secret failed, and the watcher meanwhile reported the Job (Active,
 * so the record said `launched`); the retry skipped the job, and its pod waited for the Secret
 * forever. So a retried launch of a job that has not ended is handed to the runtime again, whose
 * launch is idempotent (it completes what is missing), whatever the record says about `launched`.
 * The payload stays in Redis throughout (restart and copy need it).
 */
describe('a launch retried after it stopped half-way', () => {
  let redis: TestRedis;
  let client: Redis;
  let store: RedisStatusStore;
  const launches: { name: string; payload: string | undefined }[] = [];
  const runtime: JobRuntime = {
    kind: 'kubernetes',
    start: async () => undefined,
    launch: async (job: ResolvedJob, payload: string | undefined) => {
      launches.push({ name: job.name, payload });
    },
    stop: async () => undefined,
    remove: async () => undefined,
    has: async () => true,
    close: async () => undefined,
  };
  const noQueue: WorkQueue = { enqueueDispatch: async () => undefined, enqueueLaunch: async () => undefined, cancelLaunch: async () => undefined, enqueueStop: async () => undefined, enqueueRemove: async () => undefined };
  const at = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  beforeAll(async () => {
    redis = await TestRedis.start();
    client = redis.client();
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });
  beforeEach(() => {
    launches.length = 0;
    store = new RedisStatusStore(client, 'compute');
  });

  async function accepted(payload?: string): Promise<string> {
    const acceptor = new JobAcceptor({ name: 'compute', schedulerPort: 8000, payloadPath: '/compute/args', image: 'compute:1' }, store, noQueue, systemClock);
    const { jobs } = await acceptor.acceptJob(payload === undefined ? {} : { payload });
    return jobs[0].name;
  }

  const launcher = () => new JobLauncher(store, runtime, new ObservationRecorder(store), systemClock);

  it('carries on when the runtime was observed before the launch had handed over the payload', async () => {
    const name = await accepted('the payload');
    // The watcher saw the Job before the first attempt handed over the payload.
    await new ObservationRecorder(store).record(name, { kind: 'active', at: at() });
    expect((await store.getJob(name))?.launched).toBe(true);

    expect(await launcher().launch(name)).toBe('launched');
    expect(launches).toEqual([{ name, payload: 'the payload' }]);
    expect(await client.get(new RedisKeys('compute').payload(name))).toBe('the payload');
  });

  it('hands a running job to the runtime again when its launch is retried: the runtime\'s launch is idempotent', async () => {
    const name = await accepted();
    await new ObservationRecorder(store).record(name, { kind: 'running', at: at() });
    expect(await launcher().launch(name)).toBe('launched');
    expect(launches).toEqual([{ name, payload: undefined }]);
    expect((await store.getJob(name))?.status).toBe('Running');
  });

  it('skips a job that ended (failed or stopped) without launching it, and keeps its payload for a restart', async () => {
    for (const observation of [{ kind: 'failed' as const, at: at(), reason: 'X', message: 'failed elsewhere' }, { kind: 'stopped' as const, at: at() }]) {
      const name = await accepted('kept');
      await new ObservationRecorder(store).record(name, observation);
      expect(await launcher().launch(name)).toBe('skipped');
      expect(await client.get(new RedisKeys('compute').payload(name))).toBe('kept');
    }
    expect(launches).toEqual([]);
  });

  it('skips the launch of an earlier run of a restarted job', async () => {
    const name = await accepted('p');
    await store.update(name, (current) => ({ ...current, generation: 1 }));
    expect(await launcher().launch(name, 0)).toBe('skipped');
    expect(launches).toEqual([]);
    expect(await launcher().launch(name, 1)).toBe('launched');
    expect(launches).toEqual([{ name, payload: 'p' }]);
  });
});

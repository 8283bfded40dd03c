import type Redis from 'ioredis';
import { JobAcceptor, JobLauncher, type JobRuntime, ObservationRecorder, type ResolvedJob, systemClock, type WorkQueue } from '@rjs/core';
import { RedisStatusStore } from '@rjs/store';
import { TestRedis } from '../support/redis-server';

/**
 * A launch retried after it stopped half-way. Found by kubernetes-faults.slow-spec.ts: the Job was
 * created, creating its payload Secret failed, and the watcher meanwhile reported the Job (Active,
 * so the record said `launched`); the retry skipped the job, and its pod waited for the Secret
 * forever. A launch is complete only once the payload has been handed over (and dropped from Redis).
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
  const noQueue: WorkQueue = { enqueueLaunch: async () => undefined, cancelLaunch: async () => undefined, enqueueStop: async () => undefined, enqueueRemove: async () => undefined };
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

  it('carries on when the runtime was observed but the payload is still in Redis', async () => {
    const name = await accepted('the payload');
    // The watcher saw the Job before the first attempt handed over the payload.
    await new ObservationRecorder(store).record(name, { kind: 'active', at: at() });
    expect((await store.getJob(name))?.launched).toBe(true);

    expect(await launcher().launch(name)).toBe('launched');
    expect(launches).toEqual([{ name, payload: 'the payload' }]);
    expect(await client.exists(`rjs:compute:payload:${name}`)).toBe(0);

    // Complete now: a further retry does nothing.
    expect(await launcher().launch(name)).toBe('skipped');
    expect(launches).toHaveLength(1);
  });

  it('skips a job without payload that the runtime already holds', async () => {
    const name = await accepted();
    await new ObservationRecorder(store).record(name, { kind: 'running', at: at() });
    expect(await launcher().launch(name)).toBe('skipped');
    expect(launches).toEqual([]);
  });

  it('drops the payload of a job that ended (failed or stopped) without launching it', async () => {
    for (const observation of [{ kind: 'failed' as const, at: at(), reason: 'X', message: 'failed elsewhere' }, { kind: 'stopped' as const, at: at() }]) {
      const name = await accepted('not needed any more');
      await new ObservationRecorder(store).record(name, observation);
      expect(await launcher().launch(name)).toBe('skipped');
      expect(await client.exists(`rjs:compute:payload:${name}`)).toBe(0);
    }
    expect(launches).toEqual([]);
  });
});

import { type JobRecord, JobStatus, RETENTION_STEP, RetentionSweeper, type WorkQueue } from '@rjs/core';
import { RedisKeys, RedisStatusStore } from '@rjs/store';
import { keysOf, REDIS_TOPOLOGIES } from '../support/redis-topology';
import { COMPONENT, newBatch, storeOnRedis } from './store-fixtures';

const DAY_MS = 24 * 3600 * 1000;
const at = (iso: string) => new Date(iso);

/** The work queue's removal side, recorded; the rest is never used by retention. */
class RecordingQueue implements WorkQueue {
  readonly removed: string[] = [];
  failRemove = false;
  async enqueueRemove(jobNames: string[]): Promise<void> {
    if (this.failRemove) throw new Error('queue unavailable');
    this.removed.push(...jobNames);
  }
  async enqueueDispatch(): Promise<void> {}
  async enqueueLaunch(): Promise<void> {}
  async cancelLaunch(): Promise<void> {}
  async enqueueStop(): Promise<void> {}
}

// One suite body, run on one redis-server and on a three-master Redis Cluster.
describe.each(REDIS_TOPOLOGIES)('retention in the Redis status store (%s Redis)', (topology) => {
  const context = storeOnRedis(topology);
  const keys = new RedisKeys(COMPONENT);

  const finish = (name: string, ended: string, status: JobStatus = JobStatus.Succeeded) =>
    context.store.update(name, (current): JobRecord => ({ ...current, status, ended, updated: ended }));
  const finishedIndex = async () => Object.fromEntries(chunk(await context.redis.zrange(keys.finished, 0, -1, 'WITHSCORES')));

  describe('the finished index', () => {
    it('takes a batch when its last job finishes, scored by that job’s end, and not before', async () => {
      await context.store.create(newBatch('b1', 3));
      await finish('b1-job0', '2026-01-01T00:00:10Z');
      await finish('b1-job1', '2026-01-01T00:00:20Z', JobStatus.Failed);
      await context.store.update('b1-job2', (current) => ({ ...current, status: JobStatus.Running }));
      expect(await finishedIndex()).toEqual({});
      expect(await context.store.oldestFinished()).toBeUndefined();
      await finish('b1-job2', '2026-01-01T00:00:30Z', JobStatus.Stopped);
      expect(await finishedIndex()).toEqual({ b1: String(Date.parse('2026-01-01T00:00:30Z')) });
      expect(await context.store.oldestFinished()).toEqual(at('2026-01-01T00:00:30Z'));
      // The open count goes with the last unfinished job: nothing is left to say about the batch.
      expect(await context.redis.exists(keys.openBatches)).toBe(0);
    });

    it('is not moved by a change to a job that is already final', async () => {
      await context.store.create(newBatch('s1', 1, { type: 'job' }));
      await finish('s1-job0', '2026-01-01T00:00:10Z');
      await context.store.update('s1-job0', (current) => ({ ...current, message: 'annotated', ended: '2026-01-01T00:00:50Z' }));
      expect(await finishedIndex()).toEqual({ s1: String(Date.parse('2026-01-01T00:00:10Z')) });
    });

    it('lists expired batches oldest first, at most the limit asked for', async () => {
      for (const [name, ended] of [['s3', '03'], ['s1', '01'], ['s2', '02'], ['s4', '04']]) {
        await context.store.create(newBatch(name, 1, { type: 'job' }));
        await finish(`${name}-job0`, `2026-01-${ended}T00:00:00Z`);
      }
      expect(await context.store.listExpiredBatches(at('2026-01-03T00:00:00Z'), 10)).toEqual(['s1', 's2', 's3']);
      expect(await context.store.listExpiredBatches(at('2026-01-03T00:00:00Z'), 2)).toEqual(['s1', 's2']);
      expect(await context.store.oldestFinished()).toEqual(at('2026-01-01T00:00:00Z'));
    });

    it('loses a deleted batch with the batch', async () => {
      await context.store.create(newBatch('b1', 2));
      await finish('b1-job0', '2026-01-01T00:00:10Z');
      await finish('b1-job1', '2026-01-01T00:00:10Z');
      await context.store.create(newBatch('b2', 2));
      await context.store.deleteBatch('b1');
      await context.store.deleteBatch('b2');
      expect((await keysOf(context.redis, RedisKeys.pattern(COMPONENT))).sort()).toEqual([keys.cleanupOutbox, keys.events].sort());
    });
  });

  describe('removing an expired batch', () => {
    it('removes the batch whole: records, specs, payload leftovers, indexes and counts, and queues its jobs for cleanup', async () => {
      // Job 0 was stopped before it started: its payload never left Redis.
      await context.store.create(newBatch('b1', 2, { payload: (i, name) => (i === 0 ? `payload of ${name}` : undefined) }));
      await context.store.create(newBatch('s1', 1, { type: 'job', payload: (_, name) => `payload of ${name}` }));
      await finish('b1-job0', '2026-01-01T00:00:00Z', JobStatus.Stopped);
      await finish('b1-job1', '2026-01-01T00:00:05Z');
      await finish('s1-job0', '2026-01-01T00:00:05Z', JobStatus.Failed);
      await context.store.markDispatched(['b1-job0', 'b1-job1', 's1-job0']);

      expect(await context.store.removeExpiredBatch('b1', at('2026-01-01T00:00:05Z'))).toEqual(['b1-job0', 'b1-job1']);
      expect(await context.store.removeExpiredBatch('s1', at('2026-01-02T00:00:00Z'))).toEqual(['s1-job0']);

      expect(await context.store.getBatch('b1')).toBeUndefined();
      expect(await context.store.getJob('b1-job0')).toBeUndefined();
      expect(await context.store.getSpec('b1-job0')).toBeUndefined();
      expect(await context.store.getPayload('b1-job0')).toBeUndefined();
      expect(await context.store.listBatches()).toEqual([]);
      expect(await context.store.listSingleJobs()).toEqual([]);
      expect(Object.values(await context.store.countByStatus()).every((count) => count === 0)).toBe(true);
      expect((await context.store.pendingCleanup()).sort()).toEqual(['b1-job0', 'b1-job1', 's1-job0']);
      expect((await keysOf(context.redis, RedisKeys.pattern(COMPONENT))).sort()).toEqual([keys.cleanupOutbox, keys.events].sort());
    });

    it('leaves a batch whose last job ended after the cutoff as it is, and files it under that end', async () => {
      await context.store.create(newBatch('b1', 2));
      await finish('b1-job0', '2026-01-01T00:00:30Z');
      // Recorded last, though it ended first: the index has the batch 20 s early.
      await finish('b1-job1', '2026-01-01T00:00:10Z');
      expect(await context.store.listExpiredBatches(at('2026-01-01T00:00:20Z'), 10)).toEqual(['b1']);

      expect(await context.store.removeExpiredBatch('b1', at('2026-01-01T00:00:20Z'))).toEqual([]);
      expect((await context.store.getBatch('b1'))?.jobNames).toHaveLength(2);
      expect(await context.store.listExpiredBatches(at('2026-01-01T00:00:20Z'), 10)).toEqual([]);
      expect(await finishedIndex()).toEqual({ b1: String(Date.parse('2026-01-01T00:00:30Z')) });
      expect(await context.store.removeExpiredBatch('b1', at('2026-01-01T00:00:30Z'))).toEqual(['b1-job0', 'b1-job1']);
    });

    it('never touches a batch with an unfinished job, even when the index has it', async () => {
      await context.store.create(newBatch('b1', 3));
      // A batch recorded before the finished index existed has no open count: its first job to
      // finish files it as finished.
      await context.redis.hdel(keys.openBatches, 'b1');
      await finish('b1-job0', '2026-01-01T00:00:00Z');
      await context.store.update('b1-job1', (current) => ({ ...current, status: JobStatus.Running }));
      expect(await context.store.listExpiredBatches(at('2026-02-01T00:00:00Z'), 10)).toEqual(['b1']);

      expect(await context.store.removeExpiredBatch('b1', at('2026-02-01T00:00:00Z'))).toEqual([]);
      expect((await context.store.getJob('b1-job1'))?.status).toBe(JobStatus.Running);
      expect((await context.store.getJob('b1-job2'))?.status).toBe(JobStatus.Waiting);
      expect((await context.store.getJob('b1-job0'))?.status).toBe(JobStatus.Succeeded);
      expect(await context.store.getBatch('b1')).toBeDefined();
      expect(await context.store.pendingCleanup()).toEqual([]);
      // Out of the index until a job finishes again; the batch goes once the last one has.
      expect(await context.store.listExpiredBatches(at('2026-02-01T00:00:00Z'), 10)).toEqual([]);
      await finish('b1-job1', '2026-01-01T00:00:01Z');
      await finish('b1-job2', '2026-01-01T00:00:02Z');
      expect(await context.store.removeExpiredBatch('b1', at('2026-02-01T00:00:00Z'))).toEqual(['b1-job0', 'b1-job1', 'b1-job2']);
    });

    it('is harmless for a batch already gone, and forgets its index entry', async () => {
      await context.redis.zadd(keys.finished, 1, 'ghost');
      expect(await context.store.removeExpiredBatch('ghost', at('2026-01-01T00:00:00Z'))).toEqual([]);
      expect(await context.redis.exists(keys.finished)).toBe(0);
    });

    it('removes each batch once when several removers race for the same batches', async () => {
      const batches = Array.from({ length: 30 }, (_, i) => `b${i}`);
      for (const name of batches) {
        await context.store.create(newBatch(name, 3, { payload: (_, job) => `payload of ${job}` }));
        for (let j = 0; j < 3; j++) await finish(`${name}-job${j}`, '2026-01-01T00:00:00Z');
      }
      await context.store.create(newBatch('running', 2));
      await finish('running-job0', '2026-01-01T00:00:00Z');
      const removers = await Promise.all(Array.from({ length: 4 }, () => context.server.client()));
      try {
        const cutoff = at('2026-01-02T00:00:00Z');
        const results = await Promise.all(
          removers.map(async (client) => {
            const remover = new RedisStatusStore(client, COMPONENT);
            const removed: string[] = [];
            for (const name of [...batches, 'running']) removed.push(...(await remover.removeExpiredBatch(name, cutoff)));
            return removed;
          }),
        );
        const all = results.flat();
        expect(all).toHaveLength(90);
        expect(new Set(all).size).toBe(90);
      } finally {
        await Promise.all(removers.map((client) => client.quit()));
      }
      expect(await context.store.countByStatus()).toMatchObject({ Succeeded: 1, Waiting: 1 });
      expect((await context.store.getBatch('running'))?.jobNames).toEqual(['running-job0', 'running-job1']);
      expect((await keysOf(context.redis, RedisKeys.pattern(COMPONENT))).sort()).toEqual(
        [
          ...[keys.batch('running'), keys.job('running-job0'), keys.job('running-job1'), keys.batches, keys.unfinished, keys.statusCounts, keys.openBatches],
          ...[keys.dispatchOutbox, keys.cleanupOutbox, keys.waiting, keys.waitingSeq, keys.events],
        ].sort(),
      );
    });
  });

  describe('RetentionSweeper', () => {
    const now = at('2026-03-01T00:00:00Z');
    const clock = { now: () => now };
    const retentionSeconds = 7 * 24 * 3600;

    it('removes what ended longer ago than the retention in bounded steps, and queues the runtime cleanup', async () => {
      const expiredEnd = new Date(now.getTime() - 8 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const recentEnd = new Date(now.getTime() - 6 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
      // 250 expired single jobs, an expired batch larger than a step's job budget, a recent one and a running one.
      const singles = Array.from({ length: 250 }, (_, i) => `s${i}`);
      for (const name of singles) {
        await context.store.create(newBatch(name, 1, { type: 'job' }));
        await finish(`${name}-job0`, expiredEnd);
      }
      const big = RETENTION_STEP.jobs + 200;
      await context.store.create(newBatch('big', big));
      await Promise.all(Array.from({ length: big }, (_, i) => finish(`big-job${i}`, expiredEnd)));
      await context.store.create(newBatch('recent', 1, { type: 'job' }));
      await finish('recent-job0', recentEnd);
      await context.store.create(newBatch('running', 1, { type: 'job' }));

      const queue = new RecordingQueue();
      const steps: number[] = [];
      const removed = await new RetentionSweeper(context.store, queue, clock, retentionSeconds).sweep((step) => steps.push(step.jobs));

      expect(removed).toBe(250 + big);
      // Ties in the index go by name, so `big` comes first: its step ends with it (the job budget is
      // spent); then the single jobs, a step's batches at a time.
      expect(RETENTION_STEP.batches).toBe(100);
      expect(steps).toEqual([big, 100, 100, 50]);
      expect(queue.removed).toHaveLength(250 + big);
      expect(await context.store.pendingCleanup()).toEqual([]);
      expect((await context.store.listSingleJobs()).map((job) => job.name)).toEqual(['recent-job0', 'running-job0']);
      expect(await context.store.listBatches()).toEqual([]);
      expect(await context.store.oldestFinished()).toEqual(at(recentEnd));
    });

    it('keeps the cleanup in the outbox when the queue cannot take it', async () => {
      await context.store.create(newBatch('s1', 1, { type: 'job' }));
      await finish('s1-job0', '2026-01-01T00:00:00Z');
      const queue = new RecordingQueue();
      queue.failRemove = true;
      const failures: unknown[] = [];
      await new RetentionSweeper(context.store, queue, clock, retentionSeconds, (error) => failures.push(error)).sweep();
      expect(await context.store.getJob('s1-job0')).toBeUndefined();
      expect(failures).toHaveLength(1);
      expect(await context.store.pendingCleanup()).toEqual(['s1-job0']);
    });

    it('refuses a retention of 0, which means keeping everything', () => {
      expect(() => new RetentionSweeper(context.store, new RecordingQueue(), clock, 0)).toThrow('retention needs a positive period');
    });
  });
});

function chunk(flat: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}

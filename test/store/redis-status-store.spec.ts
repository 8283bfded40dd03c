import { type IndexEntry, type JobRecord, JobStatus, type PodStatus } from '@rjs/core';
import { type RedisClient, RedisKeys, type RedisStatusStore } from '@rjs/store';
import { keysOf, REDIS_TOPOLOGIES } from '../support/redis-topology';
import { COMPONENT, newBatch as newStoreBatch, withStore } from './store-fixtures';

/** Job 0 of each batch carries a payload; the others none. */
const newBatch = (batchName: string, jobCount: number, type: 'job' | 'batch' = 'batch', created?: string) =>
  newStoreBatch(batchName, jobCount, { type, created, payload: (i, name) => (i === 0 ? `payload of ${name}` : undefined) });

// One suite body, run on one redis-server and on a three-master Redis Cluster.
describe.each(REDIS_TOPOLOGIES)('RedisStatusStore on %s Redis', (topology) => {
  let redis: RedisClient;
  let store: RedisStatusStore;
  const keys = new RedisKeys(COMPONENT);
  withStore((bed) => {
    ({ redis, store } = bed);
  }, topology);

  it('records a batch, its jobs, specs, payloads, indexes and the dispatch outbox in one step', async () => {
    await store.create(newBatch('b1', 3));
    expect((await store.getBatch('b1'))?.jobNames).toEqual(['b1-job0', 'b1-job1', 'b1-job2']);
    expect((await store.getJob('b1-job1'))?.status).toBe('Waiting');
    expect((await store.getSpec('b1-job0'))?.hasPayload).toBe(true);
    expect(await store.getPayload('b1-job0')).toBe('payload of b1-job0');
    expect(await store.getPayload('b1-job1')).toBeUndefined();
    expect((await store.listBatches()).map((b) => b.name)).toEqual(['b1']);
    expect(await store.listSingleJobs()).toEqual([]);
    expect((await store.pendingDispatch()).sort()).toEqual(['b1-job0', 'b1-job1', 'b1-job2']);
    expect((await store.listUnfinishedJobNames()).sort()).toEqual(['b1-job0', 'b1-job1', 'b1-job2']);
  });

  it('refuses a batch whose name is taken and writes nothing of it', async () => {
    await store.create(newBatch('b1', 1));
    const clash = newBatch('b1', 2);
    await expect(store.create(clash)).rejects.toMatchObject({ code: 'Conflict' });
    expect(await store.getJob('b1-job1')).toBeUndefined();
    expect(await store.pendingDispatch()).toEqual(['b1-job0']);
  });

  it('answers the same write sent again (a resend after a broken connection) as written, and writes nothing twice', async () => {
    const batch = newBatch('b1', 2);
    await store.create(batch);
    await store.update('b1-job0', (current) => ({ ...current, status: JobStatus.Running }));
    await store.markDispatched(['b1-job0']);
    expect(await store.create(batch)).toEqual({ created: true });
    expect((await store.getJob('b1-job0'))?.status).toBe(JobStatus.Running);
    expect(await store.pendingDispatch()).toEqual(['b1-job1']);
    expect(await store.countByStatus()).toMatchObject({ Waiting: 1, Running: 1 });
    expect(await redis.xlen(keys.events)).toBe(2);
  });

  it('records every create of one event-loop turn, and answers a create made alone (writes held for the turn only)', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.create(newBatch(`t${i}`, 2))));
    expect((await store.listBatches()).length).toBe(40);
    expect((await store.pendingDispatch()).length).toBe(80);
    // A create with nothing else in its turn must still leave at once (no write waits for a later one).
    await store.create(newBatch('alone', 1));
    expect((await store.getJob('alone-job0'))?.status).toBe('Waiting');
  });

  it('lists single jobs and batches apart, oldest first', async () => {
    await store.create(newBatch('s2', 1, 'job', '2026-01-01T00:00:02Z'));
    await store.create(newBatch('s1', 1, 'job', '2026-01-01T00:00:01Z'));
    await store.create(newBatch('b1', 2, 'batch'));
    expect((await store.listSingleJobs()).map((j) => j.name)).toEqual(['s1-job0', 's2-job0']);
    expect((await store.listBatches()).map((b) => b.name)).toEqual(['b1']);
  });

  it('applies concurrent compare-and-set updates without losing any', async () => {
    await store.create(newBatch('b1', 1));
    await Promise.all(
      Array.from({ length: 50 }, () => store.update('b1-job0', (current) => ({ ...current, failed: current.failed + 1 }))),
    );
    expect((await store.getJob('b1-job0'))?.failed).toBe(50);
  });

  it('keeps the unfinished index in step with final statuses', async () => {
    await store.create(newBatch('b1', 2));
    await store.update('b1-job0', (current) => ({ ...current, status: JobStatus.Succeeded }));
    expect(await store.listUnfinishedJobNames()).toEqual(['b1-job1']);
  });

  it('reports no change when the change function declines or the record is gone', async () => {
    await store.create(newBatch('b1', 1));
    expect(await store.update('b1-job0', () => undefined)).toMatchObject({ changed: false, record: { name: 'b1-job0' } });
    expect(await store.update('missing', (c) => c)).toEqual({ changed: false });
  });

  it('deletes a batch with every key of its jobs and puts them in the cleanup outbox', async () => {
    await store.create(newBatch('b1', 2));
    expect(await store.deleteBatch('b1')).toEqual([
      { name: 'b1-job0', generation: 0 },
      { name: 'b1-job1', generation: 0 },
    ]);
    // The events stream keeps the Delete (and the Create before it): it is trimmed by length, not emptied.
    expect((await keysOf(redis, RedisKeys.pattern(COMPONENT))).sort()).toEqual([keys.events, keys.cleanupOutbox].sort());
    expect((await store.pendingCleanup()).sort()).toEqual(['b1-job0', 'b1-job1']);
    await store.markCleaned(['b1-job0', 'b1-job1']);
    expect(await keysOf(redis, RedisKeys.pattern(COMPONENT))).toEqual([keys.events]);
  });

  describe('withdrawBatch (an accept answered 503 whose write may have landed)', () => {
    const idempotent = (batchName: string) => ({ key: 'k1', fingerprint: `f-${batchName}` });

    it('removes the batch with every key of its jobs and its Idempotency-Key while no job has been handed off', async () => {
      await store.create(newBatch('b1', 2), idempotent('b1'));
      expect(await store.withdrawBatch('b1', 'k1')).toBe('withdrawn');
      // Nothing was launched, so nothing is left for the runtime's cleanup: only the events stream (Create, Delete).
      expect(await keysOf(redis, RedisKeys.pattern(COMPONENT))).toEqual([keys.events]);
      expect(await store.countByStatus()).toMatchObject({ Waiting: 0 });
      // The key can be used again: the request it stood for was refused.
      expect(await store.create(newBatch('b2', 1), idempotent('b2'))).toEqual({ created: true });
    });

    it('leaves the batch alone once one of its jobs was handed to the queue', async () => {
      await store.create(newBatch('b1', 2), idempotent('b1'));
      await store.markDispatched(['b1-job1']);
      expect(await store.withdrawBatch('b1', 'k1')).toBe('handedOff');
      expect((await store.getBatch('b1'))?.jobNames).toEqual(['b1-job0', 'b1-job1']);
      expect(await store.pendingDispatch()).toEqual(['b1-job0']);
      expect(await redis.exists(keys.idempotency('k1'))).toBe(1);
    });

    it('answers absent for a batch that was never written, and leaves a key that names another batch', async () => {
      await store.create(newBatch('b1', 1), idempotent('b1'));
      expect(await store.withdrawBatch('never-written', 'k1')).toBe('absent');
      await store.create(newBatch('b2', 1));
      expect(await store.withdrawBatch('b2', 'k1')).toBe('withdrawn');
      expect(JSON.parse((await redis.get(keys.idempotency('k1')))!)).toMatchObject({ batchName: 'b1' });
      expect(await store.getBatch('b1')).toBeDefined();
    });
  });

  it('keeps a payload with its record until the batch is deleted', async () => {
    await store.create(newBatch('b1', 1));
    await store.update('b1-job0', (current) => ({ ...current, status: JobStatus.Succeeded, ended: current.created, launched: true }));
    expect(await store.hasPayload('b1-job0')).toBe(true);
    expect(await store.getPayload('b1-job0')).toBeDefined();
    await store.deleteBatch('b1');
    expect(await store.hasPayload('b1-job0')).toBe(false);
    expect(await redis.exists(keys.payload('b1-job0'))).toBe(0);
  });
  describe('readIndex', () => {
    /** Every entry of the index, read `count` at a time from the position of the last one read. */
    const walk = async (count: number, between: (page: number, last: IndexEntry) => Promise<void>) => {
      const seen: string[] = [];
      let after: IndexEntry | undefined;
      for (let page = 0; ; page++) {
        const entries = await store.readIndex('singles', after, count);
        if (!entries.length) return seen;
        seen.push(...entries.map((e) => e.name));
        after = entries.at(-1)!;
        await between(page, after);
      }
    };

    it('reads the single jobs oldest first, then by name, with their scores, and the batches apart', async () => {
      await store.create(newBatch('s2', 1, 'job', '2026-01-01T00:00:02Z'));
      await store.create(newBatch('s1', 1, 'job', '2026-01-01T00:00:02Z'));
      await store.create(newBatch('s0', 1, 'job', '2026-01-01T00:00:03Z'));
      await store.create(newBatch('b1', 2, 'batch', '2026-01-01T00:00:01Z'));
      const second = Date.parse('2026-01-01T00:00:02Z');
      expect(await store.readIndex('singles', undefined, 2)).toEqual([
        { score: second, name: 's1-job0' },
        { score: second, name: 's2-job0' },
      ]);
      expect(await store.readIndex('singles', { score: second, name: 's2-job0' }, 5)).toEqual([{ score: second + 1000, name: 's0-job0' }]);
      expect(await store.readIndex('batches', undefined, 5)).toEqual([{ score: second - 1000, name: 'b1' }]);
      expect(await store.readIndex('batches', { score: second - 1000, name: 'b1' }, 5)).toEqual([]);
    });

    it('goes on after a removed entry where it sorted, comparing names byte by byte', async () => {
      // One score, names whose byte order ('-' < '0' < 'Z' < 'a') differs from a locale's collation.
      const names = ['x-1', 'x-b', 'x0', 'x00', 'xZ', 'xa', 'xa-', 'xb'];
      await redis.zadd(keys.singles, ...names.flatMap((name) => ['5', name]));
      for (const [i, removed] of names.entries()) {
        await redis.zrem(keys.singles, removed);
        const rest = (await store.readIndex('singles', { score: 5, name: removed }, 20)).map((e) => e.name);
        expect(rest).toEqual(names.slice(i + 1));
      }
      await redis.zadd(keys.singles, '4', 'early', '6', 'late');
      expect(await store.readIndex('singles', { score: 5, name: 'gone' }, 20)).toEqual([{ score: 6, name: 'late' }]);
      expect(await store.readIndex('singles', { score: 4.5, name: 'gone' }, 20)).toEqual([{ score: 6, name: 'late' }]);
    });

    it('visits every entry that stays exactly once while entries are added and removed between reads', async () => {
      await redis.zadd(keys.singles, ...Array.from({ length: 60 }, (_, i) => [String(Math.floor(i / 7)), `j${String(i).padStart(2, '0')}`]).flat());
      const removed = new Set<string>();
      const seen = await walk(4, async (page, last) => {
        // Remove the entry just read (the position of the next read) and one ahead; add one behind and one ahead.
        const ahead = `j${String(59 - page).padStart(2, '0')}`;
        for (const name of [last.name, ahead]) removed.add(name);
        await redis.zrem(keys.singles, last.name, ahead);
        await redis.zadd(keys.singles, '0', `early${page}`, '100', `late${page}`);
      });
      const stayed = Array.from({ length: 60 }, (_, i) => `j${String(i).padStart(2, '0')}`).filter((name) => !removed.has(name));
      expect(seen.filter((name) => name.startsWith('j') && !removed.has(name))).toEqual(stayed);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((name) => name.startsWith('early'))).toEqual([]);
    });
  });

  describe('getJobStates', () => {
    const tricky = 'a "quote", and the text ,"status":"Failed","started":"2000-01-01T00:00:00Z" of a record';
    const everyPodField: PodStatus = {
      name: 'b1-job0-1',
      podIndex: 0,
      created: '2026-01-01T00:00:01Z',
      startTime: '2026-01-01T00:00:02Z',
      containerStarted: '2026-01-01T00:00:03Z',
      endTime: '2026-01-01T00:00:09Z',
      replicaStatus: { status: 'Failed' },
      image: 'registry.example/compute:1',
      imageId: 'sha256:abc',
      exitCode: 3,
      reason: tricky,
      statusMessage: tricky,
      restartCount: 1,
    };
    const stateOf = (job: JobRecord | undefined) => job && { status: job.status, started: job.started, ended: job.ended, updated: job.updated };

    it('gives status, started, ended and updated of each record, as the whole record has them, whatever its other fields hold', async () => {
      await store.create(newBatch('b1', 4));
      await store.update('b1-job0', (r) => ({ ...r, jobId: tricky, status: 'Failed', started: '2026-01-01T00:00:03Z', ended: '2026-01-01T00:00:09Z', updated: '2026-01-01T00:00:10Z', message: tricky, failed: 1, launched: true, podStatuses: [everyPodField, { ...everyPodField, name: 'b1-job0-2', podIndex: 1 }] }));
      await store.update('b1-job1', (r) => ({ ...r, status: 'Running', started: '2026-01-01T00:00:05Z', updated: '2026-01-01T00:00:05Z', podStatuses: [{ name: 'b1-job1-1', replicaStatus: { status: 'Running' } }] }));
      // Keys of the record's state inside an attempt too (a field the types do not have): only the record's own count.
      await store.update('b1-job2', (r) => ({ ...r, status: 'Stopped', ended: '2026-01-01T00:00:07Z', podStatuses: [{ name: 'b1-job2-1', replicaStatus: { status: 'Stopped' }, more: { started: 'x', status: 'Running' } } as unknown as PodStatus] }));
      const names = ['b1-job0', 'b1-job1', 'b1-job2', 'b1-job3', 'missing'];
      expect(await store.getJobStates(names)).toEqual((await store.getJobs(names)).map(stateOf));
      expect((await store.getJobStates(names)).map((s) => s?.status)).toEqual(['Failed', 'Running', 'Stopped', 'Waiting', undefined]);
    });
  });

  describe('status counts', () => {
    const zero = { Waiting: 0, Active: 0, Running: 0, Succeeded: 0, Failed: 0, Stopping: 0, Stopped: 0 };

    it('counts every created job as Waiting and reports every status', async () => {
      expect(await store.countByStatus()).toEqual(zero);
      await store.create(newBatch('b1', 3));
      await store.create(newBatch('s1', 1, 'job'));
      expect(await store.countByStatus()).toEqual({ ...zero, Waiting: 4 });
    });

    it('moves one count from the old status to the new one on each status change, and none on other changes', async () => {
      await store.create(newBatch('b1', 3));
      await store.update('b1-job0', (current) => ({ ...current, status: JobStatus.Running }));
      await store.update('b1-job1', (current) => ({ ...current, status: JobStatus.Running }));
      await store.update('b1-job1', (current) => ({ ...current, status: JobStatus.Succeeded }));
      await store.update('b1-job2', (current) => ({ ...current, failed: 1 }));
      expect(await store.countByStatus()).toEqual({ ...zero, Waiting: 1, Running: 1, Succeeded: 1 });
    });

    it('stays exact under concurrent transitions of the same jobs', async () => {
      await store.create(newBatch('b1', 5));
      const names = Array.from({ length: 5 }, (_, i) => `b1-job${i}`);
      // Every writer tries Waiting -> Running -> Succeeded; compare-and-set makes each move land once.
      const advance = (name: string) =>
        store.update(name, (current) => {
          if (current.status === JobStatus.Waiting) return { ...current, status: JobStatus.Running };
          if (current.status === JobStatus.Running) return { ...current, status: JobStatus.Succeeded };
          return undefined;
        });
      await Promise.all(names.flatMap((name) => Array.from({ length: 10 }, () => advance(name))));
      expect(await store.countByStatus()).toEqual({ ...zero, Succeeded: 5 });
    });

    it('takes deleted jobs out of the counts by their current status, once even when deleted twice at once', async () => {
      await store.create(newBatch('b1', 2));
      await store.create(newBatch('b2', 1));
      await store.update('b1-job0', (current) => ({ ...current, status: JobStatus.Failed }));
      const [first, second] = await Promise.all([store.deleteBatch('b1'), store.deleteBatch('b1')]);
      expect([first, second].filter((runs) => runs.length).map((runs) => runs.map((run) => run.name))).toEqual([['b1-job0', 'b1-job1']]);
      expect(await store.countByStatus()).toEqual({ ...zero, Waiting: 1 });
      await store.deleteBatch('b2');
      expect(await redis.exists(keys.statusCounts)).toBe(0);
    });

    it('leaves the counts alone when a name clash refuses a batch', async () => {
      await store.create(newBatch('b1', 1));
      await expect(store.create(newBatch('b1', 2))).rejects.toMatchObject({ code: 'Conflict' });
      expect(await store.countByStatus()).toEqual({ ...zero, Waiting: 1 });
    });
  });
});

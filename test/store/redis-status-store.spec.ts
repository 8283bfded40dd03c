import type Redis from 'ioredis';
import { JobStatus } from '@rjs/core';
import { RedisKeys, type RedisStatusStore } from '@rjs/store';
import { COMPONENT, newBatch as newStoreBatch, withStore } from './store-fixtures';

/** Job 0 of each batch carries a payload; the others none. */
const newBatch = (batchName: string, jobCount: number, type: 'job' | 'batch' = 'batch', created?: string) =>
  newStoreBatch(batchName, jobCount, { type, created, payload: (i, name) => (i === 0 ? `payload of ${name}` : undefined) });

describe('RedisStatusStore', () => {
  let redis: Redis;
  let store: RedisStatusStore;
  const keys = new RedisKeys(COMPONENT);
  withStore((bed) => {
    ({ redis, store } = bed);
  });

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
    expect(await redis.keys('rjs:*')).toEqual([keys.cleanupOutbox]);
    expect((await store.pendingCleanup()).sort()).toEqual(['b1-job0', 'b1-job1']);
    await store.markCleaned(['b1-job0', 'b1-job1']);
    expect(await redis.keys('rjs:*')).toEqual([]);
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

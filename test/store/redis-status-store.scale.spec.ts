import { JobStatus } from '@rjs/core';
import { type RedisClient, RedisKeys, RedisStatusStore } from '@rjs/store';
import { COMPONENT, newBatch as newStoreBatch, withStore } from './store-fixtures';

const newBatch = (batchName: string, jobCount: number) => newStoreBatch(batchName, jobCount, { payload: (i) => `{"i": ${i}}` });

/** What the benchmarks (bench/) found at scale: big batches, big reads, scripts Redis forgot. */
describe('RedisStatusStore at scale', () => {
  let redis: RedisClient;
  let store: RedisStatusStore;
  const keys = new RedisKeys(COMPONENT);
  withStore((bed) => {
    ({ redis, store } = bed);
  });

  it('records, reads, counts and deletes a batch of 30,000 jobs (more arguments than a call can spread)', async () => {
    const batch = newBatch('big', 30_000);
    await store.create(batch);
    expect(await redis.scard(keys.unfinished)).toBe(30_000);
    expect(await redis.scard(keys.dispatchOutbox)).toBe(30_000);
    expect((await store.countByStatus()).Waiting).toBe(30_000);
    const jobs = await store.getJobs(batch.batch.jobNames);
    expect(jobs.map((j) => j?.name)).toEqual(batch.batch.jobNames);
    await store.markDispatched(batch.batch.jobNames);
    expect(await store.pendingDispatch()).toEqual([]);
    expect(await store.deleteBatch('big')).toHaveLength(30_000);
    expect((await store.countByStatus()).Waiting).toBe(0);
  });

  it('reads records in order, with a gap for one that is gone', async () => {
    await store.create(newBatch('b', 2_500));
    const names = ['b-job2499', 'missing', 'b-job0', ...Array.from({ length: 2_000 }, (_, i) => `b-job${i}`)];
    const jobs = await store.getJobs(names);
    expect(jobs).toHaveLength(names.length);
    expect(jobs[0]?.name).toBe('b-job2499');
    expect(jobs[1]).toBeUndefined();
    expect(jobs.slice(3).map((j) => j?.name)).toEqual(names.slice(3));
  });

  it('runs its scripts again after Redis forgot them (a restart, SCRIPT FLUSH)', async () => {
    await store.create(newBatch('b1', 1));
    await redis.script('FLUSH');
    await store.create(newBatch('b2', 1));
    expect((await store.getJobs(['b1-job0', 'b2-job0'])).map((j) => j?.name)).toEqual(['b1-job0', 'b2-job0']);
  });

  it('updates on the revision it read last, and reads again when the record changed meanwhile', async () => {
    await store.create(newBatch('b', 1));
    const other = new RedisStatusStore(redis, COMPONENT);
    await store.getJob('b-job0');
    await other.update('b-job0', (current) => ({ ...current, status: JobStatus.Running }));
    const seen: JobStatus[] = [];
    const result = await store.update('b-job0', (current) => {
      seen.push(current.status);
      return { ...current, launched: true };
    });
    // The first try used the stale read (Waiting) and lost the compare-and-set; the second read Running.
    expect(seen).toEqual([JobStatus.Waiting, JobStatus.Running]);
    expect(result.record).toMatchObject({ status: JobStatus.Running, launched: true });
  });

  it('answers "unchanged" only from a fresh read', async () => {
    await store.create(newBatch('b', 1));
    await store.getJob('b-job0');
    await new RedisStatusStore(redis, COMPONENT).update('b-job0', (current) => ({ ...current, status: JobStatus.Running }));
    const result = await store.update('b-job0', (current) => (current.status === JobStatus.Waiting ? undefined : current));
    expect(result).toEqual({ record: expect.objectContaining({ status: JobStatus.Running }), changed: true });
  });
});

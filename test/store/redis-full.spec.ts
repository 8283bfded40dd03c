import { type JobRecord, JobStatus } from '@rjs/core';
import { readRedisMemory } from '@rjs/store';
import { fillRedis, redisSnapshot } from '../support/redis-server';
import { newBatch, storeOnTestRedis } from './store-fixtures';

const MAX_MEMORY = 16 * 1024 * 1024;
const OOM = /^OOM command not allowed when used memory > 'maxmemory'/;

/**
 * The store in a Redis that ran out of memory (maxmemory with noeviction, as deployed): new records
 * are refused whole, reads and removals go on, and writes work again once there is room.
 */
describe('the status store in a full Redis', () => {
  const context = storeOnTestRedis({ maxMemory: String(MAX_MEMORY) });

  beforeEach(async () => {
    // A finished batch (one job stopped before it started, payload still here) and a waiting single job.
    await context.store.create(newBatch('old', 2, { payload: (_, name) => `payload of ${name}` }));
    for (const name of ['old-job0', 'old-job1']) {
      await context.store.update(name, (current): JobRecord => ({ ...current, status: JobStatus.Stopped, ended: '2026-01-01T00:00:00Z' }));
    }
    await context.store.create(newBatch('waiting', 1, { type: 'job' }));
  });
  // Tests lower or raise it.
  afterEach(() => context.redis.config('SET', 'maxmemory', String(MAX_MEMORY)));

  /** Writes ballast in small pieces until Redis refuses one: then it refuses any write that needs memory. */
  async function fill(): Promise<void> {
    await expect(fillRedis(context.redis)).resolves.toBeGreaterThan(0);
    expect(await readRedisMemory(context.redis)).toMatchObject({ full: true, maxBytes: MAX_MEMORY });
  }

  it('refuses a new batch whole: Redis refuses the script at its first write, before anything is written', async () => {
    await fill();
    const before = await redisSnapshot(context.redis);
    const batch = newBatch('new', 20, { payload: (_, name) => `payload of ${name}` });
    await expect(context.store.create(batch)).rejects.toThrow(OOM);
    await expect(context.store.create(newBatch('single', 1, { type: 'job' }))).rejects.toThrow(OOM);
    expect(await redisSnapshot(context.redis)).toEqual(before);
    expect(await context.store.getBatch('new')).toBeUndefined();
  });

  it('serves reads', async () => {
    await fill();
    expect((await context.store.getJob('old-job0'))?.status).toBe(JobStatus.Stopped);
    expect((await context.store.listSingleJobs()).map((job) => job.name)).toEqual(['waiting-job0']);
    expect(await context.store.countByStatus()).toMatchObject({ Stopped: 2, Waiting: 1 });
  });

  it('removes expired and deleted batches, payload leftovers included, and takes new records once that made room', async () => {
    await fill();
    expect(await context.store.removeExpiredBatch('old', new Date('2026-01-02T00:00:00Z'))).toEqual(['old-job0', 'old-job1']);
    expect(await context.store.getPayload('old-job0')).toBeUndefined();
    expect(await context.store.deleteBatch('waiting')).toEqual([{ name: 'waiting-job0', generation: 0 }]);
    expect(await context.store.pendingCleanup()).toEqual(expect.arrayContaining(['old-job0', 'old-job1', 'waiting-job0']));
    await expect(context.store.create(newBatch('new', 1))).rejects.toThrow(OOM);
    // What retention frees in a real store: here the ballast stands for many finished records.
    await context.redis.del(await context.redis.keys('ballast:*'));
    expect((await readRedisMemory(context.redis)).full).toBe(false);
    await context.store.create(newBatch('new', 1));
    expect((await context.store.getJob('new-job0'))?.status).toBe(JobStatus.Waiting);
  });

  it('takes new records again once maxmemory is raised', async () => {
    await fill();
    await expect(context.store.create(newBatch('new', 1))).rejects.toThrow(OOM);
    await context.redis.config('SET', 'maxmemory', String(4 * MAX_MEMORY));
    await context.store.create(newBatch('new', 1));
    expect((await context.store.getBatch('new'))?.jobNames).toEqual(['new-job0']);
  });

  it('relies on Redis letting a script that began below the limit finish, past it', async () => {
    // So no script of the store is cut short by a full Redis: it is refused whole or runs whole.
    const { usedBytes } = await readRedisMemory(context.redis);
    await context.redis.config('SET', 'maxmemory', String(usedBytes + 64 * 1024));
    const written = await context.redis.eval("for i = 1, 1000 do redis.call('SET', 'filler:' .. i, string.rep('x', 1000)) end return 1000", 0);
    expect(written).toBe(1000);
    expect(await context.redis.exists(Array.from({ length: 1000 }, (_, i) => `filler:${i + 1}`))).toBe(1000);
    expect((await readRedisMemory(context.redis)).full).toBe(true);
  });
});

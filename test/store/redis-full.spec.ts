import type Redis from 'ioredis';
import { type JobRecord, JobStatus } from '@rjs/core';
import { readRedisMemory, RedisStatusStore } from '@rjs/store';
import { fillRedis, TestRedis } from '../support/redis-server';
import { COMPONENT, newBatch } from './store-fixtures';

const MAX_MEMORY = 16 * 1024 * 1024;
const OOM = /^OOM command not allowed when used memory > 'maxmemory'/;

/** Every key with its type and content, to see that a refused write left nothing behind. */
async function snapshot(redis: Redis): Promise<Record<string, unknown>> {
  const entries: Record<string, unknown> = {};
  for (const key of (await redis.keys('rjs:*')).sort()) {
    const type = await redis.type(key);
    if (type === 'string') entries[key] = await redis.get(key);
    else if (type === 'hash') entries[key] = await redis.hgetall(key);
    else if (type === 'set') entries[key] = (await redis.smembers(key)).sort();
    else if (type === 'zset') entries[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else entries[key] = type;
  }
  return entries;
}

/**
 * The store in a Redis that ran out of memory (maxmemory with noeviction, as deployed): new records
 * are refused whole, reads and removals go on, and writes work again once there is room.
 */
describe('the status store in a full Redis', () => {
  let server: TestRedis;
  let redis: Redis;
  let store: RedisStatusStore;

  beforeAll(async () => {
    server = await TestRedis.start({ maxMemory: String(MAX_MEMORY) });
    redis = server.client();
    store = new RedisStatusStore(redis, COMPONENT);
  });
  beforeEach(async () => {
    // A finished batch (one job stopped before it started, payload still here) and a waiting single job.
    await store.create(newBatch('old', 2, { payload: (_, name) => `payload of ${name}` }));
    for (const name of ['old-job0', 'old-job1']) {
      await store.update(name, (current): JobRecord => ({ ...current, status: JobStatus.Stopped, ended: '2026-01-01T00:00:00Z' }));
    }
    await store.create(newBatch('waiting', 1, { type: 'job' }));
  });
  afterEach(async () => {
    await redis.config('SET', 'maxmemory', String(MAX_MEMORY));
    await redis.flushall();
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  /** Writes ballast in small pieces until Redis refuses one: then it refuses any write that needs memory. */
  async function fill(): Promise<void> {
    await expect(fillRedis(redis)).resolves.toBeGreaterThan(0);
    expect(await readRedisMemory(redis)).toMatchObject({ full: true, maxBytes: MAX_MEMORY });
  }

  it('refuses a new batch whole: Redis refuses the script at its first write, before anything is written', async () => {
    await fill();
    const before = await snapshot(redis);
    const batch = newBatch('new', 20, { payload: (_, name) => `payload of ${name}` });
    await expect(store.create(batch)).rejects.toThrow(OOM);
    await expect(store.create(newBatch('single', 1, { type: 'job' }))).rejects.toThrow(OOM);
    expect(await snapshot(redis)).toEqual(before);
    expect(await store.getBatch('new')).toBeUndefined();
  });

  it('serves reads', async () => {
    await fill();
    expect((await store.getJob('old-job0'))?.status).toBe(JobStatus.Stopped);
    expect((await store.listSingleJobs()).map((job) => job.name)).toEqual(['waiting-job0']);
    expect(await store.countByStatus()).toMatchObject({ Stopped: 2, Waiting: 1 });
  });

  it('removes expired and deleted batches, payload leftovers included, and takes new records once that made room', async () => {
    await fill();
    expect(await store.removeExpiredBatch('old', new Date('2026-01-02T00:00:00Z'))).toEqual(['old-job0', 'old-job1']);
    expect(await store.getPayload('old-job0')).toBeUndefined();
    expect(await store.deleteBatch('waiting')).toEqual(['waiting-job0']);
    expect(await store.pendingCleanup()).toEqual(expect.arrayContaining(['old-job0', 'old-job1', 'waiting-job0']));
    await expect(store.create(newBatch('new', 1))).rejects.toThrow(OOM);
    // What retention frees in a real store: here the ballast stands for many finished records.
    await redis.del(await redis.keys('ballast:*'));
    expect((await readRedisMemory(redis)).full).toBe(false);
    await store.create(newBatch('new', 1));
    expect((await store.getJob('new-job0'))?.status).toBe(JobStatus.Waiting);
  });

  it('takes new records again once maxmemory is raised', async () => {
    await fill();
    await expect(store.create(newBatch('new', 1))).rejects.toThrow(OOM);
    await redis.config('SET', 'maxmemory', String(4 * MAX_MEMORY));
    await store.create(newBatch('new', 1));
    expect((await store.getBatch('new'))?.jobNames).toEqual(['new-job0']);
  });

  it('relies on Redis letting a script that began below the limit finish, past it', async () => {
    // So no script of the store is cut short by a full Redis: it is refused whole or runs whole.
    const { usedBytes } = await readRedisMemory(redis);
    await redis.config('SET', 'maxmemory', String(usedBytes + 64 * 1024));
    const written = await redis.eval("for i = 1, 1000 do redis.call('SET', 'filler:' .. i, string.rep('x', 1000)) end return 1000", 0);
    expect(written).toBe(1000);
    expect(await redis.exists(Array.from({ length: 1000 }, (_, i) => `filler:${i + 1}`))).toBe(1000);
    expect((await readRedisMemory(redis)).full).toBe(true);
  });
});

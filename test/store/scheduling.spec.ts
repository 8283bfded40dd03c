import { type JobRecord, JobStatus, restartRun } from '@rjs/core';
import { RedisKeys } from '@rjs/store';
import { COMPONENT, newBatch, storeOnTestRedis } from './store-fixtures';

const T1 = '2026-01-01T00:00:30Z';

/** Launch slots, the launch-order index and Idempotency-Keys in the Redis status store, on a real redis-server. */
describe('scheduling state in the Redis status store', () => {
  const context = storeOnTestRedis();
  const keys = new RedisKeys(COMPONENT);
  const run = (name: string, generation = 0) => ({ name, generation });
  const set = (name: string, status: JobStatus) => context.store.update(name, (current): JobRecord => ({ ...current, status, updated: T1, ended: T1, launched: true }));

  describe('launch slots', () => {
    it('takes a slot only below the cap and only for a Waiting run; a holder keeps its slot', async () => {
      await context.store.create(newBatch('b', 4));
      expect(await context.store.takeSlot(run('b-job0'), 2)).toBe('held');
      expect(await context.store.takeSlot(run('b-job0'), 2)).toBe('held');
      expect(await context.store.takeSlot(run('b-job1'), 2)).toBe('held');
      expect(await context.store.takeSlot(run('b-job2'), 2)).toBe('full');
      expect(await context.store.slotsInUse()).toBe(2);
      // Another run than the record's, a record that is not Waiting, and one that is gone take none.
      expect(await context.store.takeSlot(run('b-job3', 1), 5)).toBe('not-waiting');
      await set('b-job3', JobStatus.Stopped);
      expect(await context.store.takeSlot(run('b-job3'), 5)).toBe('not-waiting');
      expect(await context.store.takeSlot(run('gone'), 5)).toBe('not-waiting');
      expect(await context.store.slotsInUse()).toBe(2);
    });

    it('gives a slot back in the same write that makes the record final, and with a deleted batch', async () => {
      await context.store.create(newBatch('b', 3));
      await context.store.create(newBatch('d', 1));
      for (const name of ['b-job0', 'b-job1', 'd-job0']) expect(await context.store.takeSlot(run(name), 3)).toBe('held');
      await set('b-job0', JobStatus.Running);
      expect(await context.store.slotsInUse()).toBe(3);
      await set('b-job0', JobStatus.Succeeded);
      expect(await context.redis.hexists(keys.slots, 'b-job0')).toBe(0);
      await context.store.deleteBatch('d');
      expect(await context.redis.hkeys(keys.slots)).toEqual(['b-job1']);
      expect(await context.store.takeSlot(run('b-job2'), 2)).toBe('held');
    });

    it('reconciles: slots whose holder is final or gone go back, those of unfinished jobs stay', async () => {
      await context.store.create(newBatch('b', 3));
      for (const name of ['b-job0', 'b-job1', 'b-job2']) await context.store.takeSlot(run(name), 10);
      // As a worker killed between its writes would leave them: a final record that kept its slot, a slot without a record.
      const doc = JSON.parse((await context.redis.hget(keys.job('b-job1'), 'doc'))!) as JobRecord;
      await context.redis.hset(keys.job('b-job1'), 'doc', JSON.stringify({ ...doc, status: JobStatus.Failed }));
      await context.redis.hset(keys.slots, 'vanished-job', String(Date.now()));
      expect((await context.store.reconcileSlots()).sort()).toEqual(['b-job1', 'vanished-job']);
      expect((await context.redis.hkeys(keys.slots)).sort()).toEqual(['b-job0', 'b-job2']);
      expect(await context.store.reconcileSlots()).toEqual([]);
    });
  });

  describe('the launch-order index', () => {
    it('orders Waiting jobs by priority, then arrival; a job leaves it when it leaves Waiting and joins again when restarted', async () => {
      const low = newBatch('low', 2);
      const high = newBatch('high', 2);
      high.jobs[0].record.priority = 900;
      high.jobs[1].record.priority = 5;
      await context.store.create(low);
      await context.store.create(high);
      const order = async () => (await context.store.readIndex('waiting', undefined, 10)).map((entry) => entry.name);
      expect(await order()).toEqual(['high-job0', 'high-job1', 'low-job0', 'low-job1']);
      expect(await context.store.queuePosition('low-job0')).toBe(3);

      await set('high-job0', JobStatus.Running);
      expect(await order()).toEqual(['high-job1', 'low-job0', 'low-job1']);
      expect(await context.store.queuePosition('high-job0')).toBeUndefined();
      await set('high-job0', JobStatus.Succeeded);
      // A restart makes it Waiting again: it joins behind the Waiting jobs of its priority.
      await context.store.update('high-job0', (current) => restartRun(current, T1));
      expect(await order()).toEqual(['high-job0', 'high-job1', 'low-job0', 'low-job1']);
      // Paged by sort key, with positions counted from the start.
      const [first] = await context.store.readIndex('waiting', undefined, 1);
      expect(await context.store.countWaitingBefore(first.score)).toBe(0);
      const [third] = await context.store.readIndex('waiting', first, 2).then((page) => page.slice(1));
      expect(third.name).toBe('low-job0');
      expect(await context.store.countWaitingBefore(third.score)).toBe(2);

      await context.store.deleteBatch('low');
      await set('high-job0', JobStatus.Stopped);
      await set('high-job1', JobStatus.Stopped);
      // The index and its arrival counter go with the last Waiting job.
      expect(await context.redis.exists(keys.waiting, keys.waitingSeq)).toBe(0);
    });
  });

  describe('Idempotency-Keys', () => {
    it('stores the key with the records it names, in the same step, for 24 hours', async () => {
      expect(await context.store.create(newBatch('b', 2), { key: 'k', fingerprint: 'f1' })).toEqual({ created: true });
      expect(JSON.parse((await context.redis.get(keys.idempotency('k')))!)).toEqual({ fingerprint: 'f1', batchName: 'b' });
      const ttl = await context.redis.ttl(keys.idempotency('k'));
      expect(ttl).toBeGreaterThan(24 * 3600 - 60);
      expect(ttl).toBeLessThanOrEqual(24 * 3600);
      expect(await context.store.isDispatchPending('b-job0')).toBe(true);
      await context.store.markDispatched(['b-job0', 'b-job1']);
      expect(await context.store.isDispatchPending('b-job0')).toBe(false);
    });

    it('writes nothing when the key names an earlier batch, and answers that one', async () => {
      await context.store.create(newBatch('b', 2), { key: 'k', fingerprint: 'f1' });
      const before = (await context.redis.keys('*')).sort();
      expect(await context.store.create(newBatch('again', 3), { key: 'k', fingerprint: 'f2' })).toEqual({ created: false, earlier: { fingerprint: 'f1', batchName: 'b' } });
      expect((await context.redis.keys('*')).sort()).toEqual(before);
      // Without a key the same store creates as before.
      expect(await context.store.create(newBatch('again', 3))).toEqual({ created: true });
    });
  });
});

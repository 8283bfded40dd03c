import type Redis from 'ioredis';
import { JobStatus } from '@rjs/core';
import { RedisEventLog, RedisKeys, RedisNotificationOutbox, RedisStatusStore } from '@rjs/store';
import { withRedis } from '../support/redis-server';
import { COMPONENT, newBatch } from './store-fixtures';

const keys = new RedisKeys(COMPONENT);

describe('events recorded with the status writes', () => {
  let redis: Redis;
  let store: RedisStatusStore;
  let notifying: RedisStatusStore;
  let log: RedisEventLog;
  let outbox: RedisNotificationOutbox;
  withRedis(({ redis: server, closeAfter }) => {
    redis = server.client();
    closeAfter(() => redis.quit());
    store = new RedisStatusStore(redis, COMPONENT);
    notifying = new RedisStatusStore(redis, COMPONENT, { streamMaxLen: 1000, notify: true });
    log = new RedisEventLog(redis, COMPONENT);
    outbox = new RedisNotificationOutbox(redis, COMPONENT, { coalesceMs: 0, leaseMs: 60_000, maxJobs: 3 });
  });
  afterEach(() => redis.flushall());

  it('streams Create, Update and Delete with the records as written, and keeps nothing for a webhook when none is configured', async () => {
    await store.create(newBatch('b1', 2));
    await store.update('b1-job0', (job) => ({ ...job, status: JobStatus.Running, started: '2026-01-01T00:00:01Z' }));
    // Only `updated` changes: nothing the API shows, no event.
    await store.update('b1-job0', (job) => ({ ...job, updated: '2026-01-01T00:00:02Z' }));
    await store.deleteBatch('b1');
    const changes = await log.readAfter('0', 100);
    expect(changes.map((c) => [c.event, c.batchName, c.jobs.map((j) => `${j.name}:${j.status}`)])).toEqual([
      ['Create', 'b1', ['b1-job0:Waiting', 'b1-job1:Waiting']],
      ['Update', 'b1', ['b1-job0:Running']],
      ['Delete', 'b1', ['b1-job0:Running', 'b1-job1:Waiting']],
    ]);
    expect(changes[0].batch).toEqual({ name: 'b1', batchType: 'batch', created: '2026-01-01T00:00:00Z' });
    expect(await log.readAfter(changes[1].id!, 100)).toEqual([changes[2]]);
    expect(await redis.exists(keys.notifyBatches, keys.notifyPending('b1'))).toBe(0);
  });

  it('records nothing for a write that does not land (a name taken)', async () => {
    await store.create(newBatch('b1', 1));
    await expect(store.create(newBatch('b1', 2))).rejects.toThrow('already in use');
    expect(await log.readAfter('0', 100)).toHaveLength(1);
  });

  it('with a webhook, keeps every transition of a batch for it and hands them out in order, one delivery at a time', async () => {
    await notifying.create(newBatch('b2', 2));
    for (const status of [JobStatus.Active, JobStatus.Running, JobStatus.Succeeded]) {
      await notifying.update('b2-job0', (job) => ({ ...job, status }));
    }
    expect(await outbox.dueBatches(Date.now(), 10)).toEqual(['b2']);
    const first = (await outbox.openDelivery('b2', Date.now()))!;
    expect(first.event).toBe('Create');
    expect(first.changes.map((c) => c.jobs[0].name)).toEqual(['b2-job0', 'b2-job1']);
    // Open: the same delivery is answered again until it is closed.
    expect((await outbox.openDelivery('b2', Date.now()))!.id).toBe(first.id);
    expect(await outbox.closeDelivery('b2', first.id, Date.now())).toBe(true);
    expect(await outbox.closeDelivery('b2', first.id, Date.now())).toBe(false);
    const second = (await outbox.openDelivery('b2', Date.now()))!;
    expect(second.event).toBe('Update');
    expect(second.changes.map((c) => c.jobs[0].status)).toEqual(['Active', 'Running', 'Succeeded']);
    expect(await outbox.getDelivery('b2', second.id)).toEqual(second);
    await outbox.closeDelivery('b2', second.id, Date.now());
    expect(await outbox.openDelivery('b2', Date.now())).toBeUndefined();
    expect(await outbox.backlog()).toBe(0);
  });

  it('waits out the coalescing window of the oldest pending transition', async () => {
    const slow = new RedisNotificationOutbox(redis, COMPONENT, { coalesceMs: 60_000, leaseMs: 60_000, maxJobs: 10 });
    await notifying.create(newBatch('b3', 1));
    expect(await slow.openDelivery('b3', Date.now())).toBeUndefined();
    // Looked at again when the window ends.
    expect(await slow.dueBatches(Date.now(), 10)).toEqual([]);
    expect(await slow.dueBatches(Date.now() + 60_000, 10)).toEqual(['b3']);
    expect((await slow.openDelivery('b3', Date.now() + 60_000))!.changes).toHaveLength(1);
  });
});

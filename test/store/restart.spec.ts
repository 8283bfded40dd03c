import { applyObservation, type JobRecord, JobStatus, ObservationRecorder, restartRun } from '@rjs/core';
import { RedisKeys, RedisStatusStore } from '@rjs/store';
import { REDIS_TOPOLOGIES } from '../support/redis-topology';
import { COMPONENT, newBatch, storeOnRedis } from './store-fixtures';

const T0 = '2026-01-01T00:00:00Z';
const ENDED = '2026-01-01T00:00:30Z';
const RESTARTED = '2026-01-01T00:01:00Z';

/** A restart through the store's one write path (compare-and-set), on a real redis-server and on a real Redis Cluster. */
describe.each(REDIS_TOPOLOGIES)('restarting a job in the Redis status store (%s Redis)', (topology) => {
  const context = storeOnRedis(topology);
  const keys = new RedisKeys(COMPONENT);

  const finish = (name: string, ended = ENDED) => context.store.update(name, (current): JobRecord => ({ ...current, status: JobStatus.Succeeded, launched: true, ended, updated: ended }));
  const restart = (name: string) => context.store.update(name, (current) => restartRun(current, RESTARTED));

  it('counts a restarted batch as unfinished again: retention leaves it alone until its jobs end again', async () => {
    await context.store.create(newBatch('b1', 2, { created: T0 }));
    await context.store.markDispatched(['b1-job0', 'b1-job1']);
    await finish('b1-job0');
    await finish('b1-job1');
    const cutoff = new Date('2026-02-01T00:00:00Z');
    expect(await context.store.listExpiredBatches(cutoff, 10)).toEqual(['b1']);

    const { record, changed } = await restart('b1-job1');
    expect(changed).toBe(true);
    expect(record).toMatchObject({ status: 'Waiting', generation: 1, restart: RESTARTED });
    expect(await context.redis.zrange(keys.finished, 0, -1)).toEqual([]);
    expect(await context.redis.hget(keys.openBatches, 'b1')).toBe('1');
    expect(await context.store.listUnfinishedJobNames()).toEqual(['b1-job1']);
    expect(await context.store.countByStatus()).toMatchObject({ Succeeded: 1, Waiting: 1 });
    // The new run must be launched: it is in the dispatch outbox, written in the same step.
    expect(await context.store.pendingDispatch()).toEqual(['b1-job1']);
    // Retention finds nothing, and would not remove the batch if it were asked to.
    expect(await context.store.listExpiredBatches(cutoff, 10)).toEqual([]);
    expect(await context.store.removeExpiredBatch('b1', cutoff)).toEqual([]);
    expect(await context.store.getBatch('b1')).toBeDefined();

    await finish('b1-job1', '2026-01-01T00:02:00Z');
    expect(await context.redis.exists(keys.openBatches)).toBe(0);
    expect(await context.redis.zscore(keys.finished, 'b1')).toBe(String(Date.parse('2026-01-01T00:02:00Z')));
    expect(await context.store.removeExpiredBatch('b1', cutoff)).toEqual(['b1-job0', 'b1-job1']);
  });

  it('keeps the payload and spec of a finished job, which a restart launches again, until the batch is removed', async () => {
    await context.store.create(newBatch('s1', 1, { type: 'job', payload: () => 'the payload' }));
    await finish('s1-job0');
    await restart('s1-job0');
    expect(await context.store.getPayload('s1-job0')).toBe('the payload');
    expect(await context.store.getSpec('s1-job0')).toMatchObject({ name: 's1-job0', hasPayload: true });
    expect(await context.store.deleteBatch('s1')).toEqual([{ name: 's1-job0', generation: 1 }]);
    expect(await context.store.hasPayload('s1-job0')).toBe(false);
  });

  it('refuses a job that is Stopping, writing nothing', async () => {
    await context.store.create(newBatch('s1', 1, { type: 'job' }));
    await context.store.update('s1-job0', (current) => ({ ...current, status: JobStatus.Stopping, launched: true }));
    const before = await context.redis.hgetall(keys.job('s1-job0'));
    expect(await restart('s1-job0')).toMatchObject({ changed: false, record: { status: 'Stopping' } });
    expect(await context.redis.hgetall(keys.job('s1-job0'))).toEqual(before);
  });

  describe('the race: a report of the run before the restart arrives after it', () => {
    const recorder = () => new ObservationRecorder(context.store);

    it('leaves the new run as it is, and lets the new run\'s reports through', async () => {
      await context.store.create(newBatch('s1', 1, { type: 'job' }));
      await recorder().record('s1-job0', { kind: 'running', at: '2026-01-01T00:00:05Z', podStatuses: [{ name: 's1-job0-1', replicaStatus: { status: 'Running' } }] });
      const { record: restarted } = await restart('s1-job0');
      expect(restarted?.podStatuses).toEqual([{ name: 's1-job0-1', podIndex: 0, endTime: RESTARTED, replicaStatus: { status: 'Stopped' } }]);

      // The first run's process dies of the restart and says so, late.
      const late = await recorder().record('s1-job0', {
        kind: 'stopped',
        at: '2026-01-01T00:01:01Z',
        podStatuses: [{ name: 's1-job0-1', replicaStatus: { status: 'Stopped' } }],
      });
      expect(late.changed).toBe(false);
      expect(await context.store.getJob('s1-job0')).toEqual(restarted);
      expect(await context.store.listUnfinishedJobNames()).toEqual(['s1-job0']);

      const current = await recorder().record('s1-job0', {
        kind: 'running',
        at: '2026-01-01T00:01:05Z',
        generation: 1,
        podStatuses: [{ name: 's1-job0-2', replicaStatus: { status: 'Running' } }],
      });
      expect(current.changed).toBe(true);
      expect(current.record).toMatchObject({ status: 'Running', started: '2026-01-01T00:01:05Z' });
      expect(current.record?.podStatuses.map((p) => [p.name, p.podIndex])).toEqual([
        ['s1-job0-1', 0],
        ['s1-job0-2', 1],
      ]);
    });

    it('decides on the revision it writes: a report judged on a read from before the restart is judged again', async () => {
      await context.store.create(newBatch('s1', 1, { type: 'job' }));
      await context.store.update('s1-job0', (current) => ({ ...current, status: JobStatus.Running, launched: true }));
      // This store read the record (its write path starts from that read), then another process restarted the job.
      const observer = new RedisStatusStore(context.redis, COMPONENT);
      expect(await observer.getJob('s1-job0')).toMatchObject({ status: 'Running' });
      await restart('s1-job0');
      const seen: (number | undefined)[] = [];
      const { changed } = await observer.update('s1-job0', (current) => {
        seen.push(current.generation);
        return applyObservation(current, { kind: 'succeeded', at: ENDED });
      });
      // Judged on the stale read first (and refused by the compare-and-set), then on the record as it is.
      expect(seen).toEqual([undefined, 1]);
      expect(changed).toBe(false);
      expect(await context.store.getJob('s1-job0')).toMatchObject({ status: 'Waiting', generation: 1 });
    });
  });
});

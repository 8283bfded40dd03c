import { JobAcceptor, type JobRun, MAX_RUNS_AWAITING_HANDOFF, Recovery, systemClock, type WorkQueue } from '@rjs/core';
import { RedisKeys } from '@rjs/store';
import { eventually } from '../support/eventually';
import { COMPONENT, newBatch, storeOnTestRedis } from './store-fixtures';

/** A work queue whose hand-off hangs until released, as one on a Redis that stopped answering. */
function stalledQueue() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const queued: string[] = [];
  const queue = {
    enqueueDispatch: async (names: string[]) => {
      await released;
      queued.push(...names);
    },
  } as unknown as WorkQueue;
  return { queue, queued, release };
}

const settledWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

/** Accepting answers once the records and the outbox are written, and holds a bounded hand-off backlog. */
describe('the hand-off that follows an accept (real redis-server)', () => {
  const context = storeOnTestRedis();
  const component = { name: COMPONENT, schedulerPort: 8000, payloadPath: '/compute/args', image: 'compute:1' };

  it('answers before the jobs are handed to the workers, and waits for its own hand-off past the bound', async () => {
    const stalled = stalledQueue();
    const acceptor = new JobAcceptor(component, context.store, stalled.queue, systemClock);
    const outbox = new RedisKeys(COMPONENT).dispatchOutbox;

    const first = await acceptor.acceptBatch({ jobScheduleDescriptions: [{}, {}] });
    expect(await context.redis.smembers(outbox)).toEqual(expect.arrayContaining(first.jobs.map((job) => job.name)));
    expect(stalled.queued).toEqual([]);

    // This batch takes the runs waiting past the bound: its accept waits for the queue.
    const big = acceptor.acceptBatch({ jobScheduleDescriptions: Array.from({ length: MAX_RUNS_AWAITING_HANDOFF }, () => ({})) });
    await eventually(async () => (await context.redis.scard(outbox)) === MAX_RUNS_AWAITING_HANDOFF + 2, 'the big batch to be recorded', 30_000);
    expect(await settledWithin(big, 300)).toBe(false);

    stalled.release();
    const accepted = await big;
    await Promise.all([first.handedOff, accepted.handedOff]);
    expect(stalled.queued).toHaveLength(MAX_RUNS_AWAITING_HANDOFF + 2);
    expect(await context.redis.scard(outbox)).toBe(0);
    await acceptor.drain();
  }, 60_000);
});

/** Recovery queues what an API left in the dispatch outbox, but not while that API may still act on it. */
describe('recovery of the dispatch outbox (real redis-server)', () => {
  const context = storeOnTestRedis();

  it('leaves a job in the outbox alone for the grace, counted from when this process first saw it there', async () => {
    const queued: string[] = [];
    const queue = { enqueueLaunch: async (runs: JobRun[]) => void queued.push(...runs.map((run) => run.name)) } as unknown as WorkQueue;
    const recovery = new Recovery(context.store, queue);
    await context.store.create(newBatch('b1', 2));
    expect(await recovery.redispatch(1000, 50_000)).toBe(0);
    expect(await recovery.redispatch(1000, 50_999)).toBe(0);
    expect(queued).toEqual([]);

    await context.store.create(newBatch('b2', 1));
    expect(await recovery.redispatch(1000, 51_000)).toBe(2);
    expect(queued.sort()).toEqual(['b1-job0', 'b1-job1']);
    expect(await context.store.pendingDispatch()).toEqual(['b2-job0']);
    expect(await recovery.redispatch(1000, 52_000)).toBe(1);
    expect(queued.sort()).toEqual(['b1-job0', 'b1-job1', 'b2-job0']);
    expect(await context.store.pendingDispatch()).toEqual([]);
  });
});

import type { StatusStore, WorkQueue } from '../ports';
import type { JobRun } from '../records';
import { LaunchDispatch } from './launch-dispatch';

const runs = (...names: string[]): JobRun[] => names.map((name) => ({ name, generation: 0 }));

function fakes(minIntervalMs?: number) {
  const calls: string[] = [];
  // The first round trip waits until release() (called before or after it starts); later ones do not.
  let released = false;
  let open: (() => void) | undefined;
  let failWith: Error | undefined;
  const queue = {
    // Names only: the worker queues each job's launch for the run its record waits with (DispatchExpansion).
    enqueueDispatch: async (names: string[]) => {
      calls.push(`enqueue ${names.join(',')}`);
      if (failWith) throw failWith;
      if (!released) await new Promise<void>((resolve) => (open = resolve));
    },
  } as unknown as WorkQueue;
  const store = { markDispatched: async (names: string[]) => void calls.push(`mark ${names.join(',')}`) } as unknown as StatusStore;
  return {
    calls,
    dispatch: new LaunchDispatch(queue, store, minIntervalMs),
    release: () => {
      released = true;
      open?.();
    },
    fail: (error: Error) => (failWith = error),
  };
}

describe('LaunchDispatch', () => {
  it('sends the dispatches of one event-loop turn together, and the ones that come meanwhile together in the next round trip', async () => {
    const f = fakes();
    const first = f.dispatch.dispatch(runs('a'));
    const second = f.dispatch.dispatch(runs('b'));
    expect(f.calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    const third = f.dispatch.dispatch([...runs('c'), { name: 'd', generation: 2 }]);
    expect(f.calls).toEqual(['enqueue a,b']);
    f.release();
    await Promise.all([first, second, third]);
    expect(f.calls).toEqual(['enqueue a,b', 'mark a,b', 'enqueue c,d', 'mark c,d']);
  });

  it('fails every caller of a round trip that fails, and goes on with the next ones', async () => {
    const f = fakes();
    f.fail(new Error('Redis is down'));
    const results = await Promise.allSettled([f.dispatch.dispatch(runs('a')), f.dispatch.dispatch(runs('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(f.calls).toEqual(['enqueue a,b']);
    await expect(f.dispatch.dispatch(runs('c'))).rejects.toThrow('Redis is down');
    expect(f.calls).toEqual(['enqueue a,b', 'enqueue c']);
  });
});

describe('LaunchDispatch, for callers that do not wait', () => {
  it('counts the runs not yet queued, and drains', async () => {
    const f = fakes();
    const first = f.dispatch.dispatch(runs('a', 'b'));
    const second = f.dispatch.dispatch(runs('c'));
    expect(f.dispatch.pendingRuns).toBe(3);
    let drained = false;
    const draining = f.dispatch.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    f.release();
    await draining;
    await Promise.all([first, second]);
    expect(f.dispatch.pendingRuns).toBe(0);
    expect(f.calls).toEqual(['enqueue a,b,c', 'mark a,b,c']);
  });

  it('settles an empty dispatch after every run handed over before it, with no round trip of its own', async () => {
    const f = fakes();
    let queued = false;
    void f.dispatch.dispatch(runs('a')).then(() => (queued = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(f.calls).toEqual(['enqueue a']);
    let caughtUp = false;
    const catchingUp = f.dispatch.dispatch([]).then(() => (caughtUp = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(caughtUp).toBe(false);
    f.release();
    await catchingUp;
    expect(queued).toBe(true);
    expect(f.calls).toEqual(['enqueue a', 'mark a']);
    await f.dispatch.dispatch([]);
    expect(f.calls).toHaveLength(2);
  });

  it('counts failed runs as no longer pending (recovery queues them)', async () => {
    const f = fakes();
    f.fail(new Error('Redis is down'));
    await expect(f.dispatch.dispatch(runs('a', 'b'))).rejects.toThrow('Redis is down');
    expect(f.dispatch.pendingRuns).toBe(0);
    await f.dispatch.drain();
  });
});

describe('LaunchDispatch after an empty dispatch', () => {
  it('still sends what comes next', async () => {
    const f = fakes();
    await f.dispatch.dispatch([]);
    const next = f.dispatch.dispatch(runs('a'));
    f.release();
    await next;
    expect(f.calls).toEqual(['enqueue a', 'mark a']);
  });
});

describe('LaunchDispatch, round trips apart', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('begins round trips at least the interval apart, so that one carries the jobs of that long, and sends a lone dispatch at once', async () => {
    const f = fakes(100);
    f.release();
    const a = f.dispatch.dispatch(runs('a'));
    await jest.advanceTimersByTimeAsync(0);
    await a;
    expect(f.calls).toEqual(['enqueue a', 'mark a']);

    const b = f.dispatch.dispatch(runs('b'));
    await jest.advanceTimersByTimeAsync(20);
    const c = f.dispatch.dispatch(runs('c'));
    await jest.advanceTimersByTimeAsync(79);
    expect(f.calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all([b, c]);
    expect(f.calls).toEqual(['enqueue a', 'mark a', 'enqueue b,c', 'mark b,c']);

    // Alone again once the interval has passed: at the end of its turn.
    await jest.advanceTimersByTimeAsync(500);
    const d = f.dispatch.dispatch(runs('d'));
    await jest.advanceTimersByTimeAsync(0);
    await d;
    expect(f.calls.slice(4)).toEqual(['enqueue d', 'mark d']);
  });
});

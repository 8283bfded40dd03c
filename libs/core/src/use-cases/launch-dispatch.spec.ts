import type { StatusStore, WorkQueue } from '../ports';
import type { JobRun } from '../records';
import { LaunchDispatch } from './launch-dispatch';

const runs = (...names: string[]): JobRun[] => names.map((name) => ({ name, generation: 0 }));

function fakes() {
  const calls: string[] = [];
  let release: (() => void) | undefined;
  let failWith: Error | undefined;
  const queue = {
    enqueueLaunch: async (runs: JobRun[]) => {
      calls.push(`enqueue ${runs.map((r) => (r.generation ? `${r.name}@${r.generation}` : r.name)).join(',')}`);
      if (failWith) throw failWith;
      if (!release) await new Promise<void>((resolve) => (release = resolve));
    },
  } as unknown as WorkQueue;
  const store = { markDispatched: async (names: string[]) => void calls.push(`mark ${names.join(',')}`) } as unknown as StatusStore;
  return {
    calls,
    dispatch: new LaunchDispatch(queue, store),
    release: () => release?.(),
    fail: (error: Error) => (failWith = error),
  };
}

describe('LaunchDispatch', () => {
  it('sends a lone dispatch at once, and the ones that come meanwhile together in the next round trip', async () => {
    const f = fakes();
    const first = f.dispatch.dispatch(runs('a'));
    const second = f.dispatch.dispatch(runs('b'));
    const third = f.dispatch.dispatch([...runs('c'), { name: 'd', generation: 2 }]);
    expect(f.calls).toEqual(['enqueue a']);
    f.release();
    await Promise.all([first, second, third]);
    expect(f.calls).toEqual(['enqueue a', 'mark a', 'enqueue b,c,d@2', 'mark b,c,d']);
  });

  it('fails every caller of a round trip that fails, and goes on with the next ones', async () => {
    const f = fakes();
    f.fail(new Error('Redis is down'));
    const results = await Promise.allSettled([f.dispatch.dispatch(runs('a')), f.dispatch.dispatch(runs('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(f.calls).toEqual(['enqueue a', 'enqueue b']);
  });
});

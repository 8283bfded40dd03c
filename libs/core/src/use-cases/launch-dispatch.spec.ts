import type { StatusStore, WorkQueue } from '../ports';
import { LaunchDispatch } from './launch-dispatch';

function fakes() {
  const calls: string[] = [];
  let release: (() => void) | undefined;
  let failWith: Error | undefined;
  const queue = {
    enqueueLaunch: async (names: string[]) => {
      calls.push(`enqueue ${names.join(',')}`);
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
    const first = f.dispatch.dispatch(['a']);
    const second = f.dispatch.dispatch(['b']);
    const third = f.dispatch.dispatch(['c', 'd']);
    expect(f.calls).toEqual(['enqueue a']);
    f.release();
    await Promise.all([first, second, third]);
    expect(f.calls).toEqual(['enqueue a', 'mark a', 'enqueue b,c,d', 'mark b,c,d']);
  });

  it('fails every caller of a round trip that fails, and goes on with the next ones', async () => {
    const f = fakes();
    f.fail(new Error('Redis is down'));
    const results = await Promise.allSettled([f.dispatch.dispatch(['a']), f.dispatch.dispatch(['b'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(f.calls).toEqual(['enqueue a', 'enqueue b']);
  });
});

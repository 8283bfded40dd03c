import type { StatusStore, WithdrawOutcome } from '../ports';
import { InDoubtAccepts, MAX_IN_DOUBT_BATCHES } from './in-doubt-accepts';

/** A store whose withdrawBatch answers from `outcomes` and fails while `down`. */
function storeAnswering(outcomes: Record<string, WithdrawOutcome>) {
  const calls: [string, string | undefined][] = [];
  const state = { down: false };
  const store = {
    withdrawBatch: async (name: string, key?: string) => {
      calls.push([name, key]);
      if (state.down) throw new Error('Connection is closed.');
      return outcomes[name] ?? 'absent';
    },
  } as unknown as StatusStore;
  return { store, calls, state };
}

describe('InDoubtAccepts', () => {
  it('withdraws each batch once, in the order they came, with its Idempotency-Key', async () => {
    const { store, calls } = storeAnswering({ a: 'withdrawn', b: 'handedOff' });
    const accepts = new InDoubtAccepts(store);
    accepts.add('a', 'key-a');
    accepts.add('b');
    accepts.add('c');
    expect(await accepts.withdraw()).toEqual([
      { batchName: 'a', outcome: 'withdrawn' },
      { batchName: 'b', outcome: 'handedOff' },
      { batchName: 'c', outcome: 'absent' },
    ]);
    expect(calls).toEqual([['a', 'key-a'], ['b', undefined], ['c', undefined]]);
    expect(accepts.size).toBe(0);
    expect(await accepts.withdraw()).toEqual([]);
    expect(calls).toHaveLength(3);
  });

  it('stops at the first failure and starts from there the next time', async () => {
    const { store, calls, state } = storeAnswering({ a: 'withdrawn', b: 'withdrawn' });
    const accepts = new InDoubtAccepts(store);
    accepts.add('a');
    accepts.add('b');
    state.down = true;
    expect(await accepts.withdraw()).toEqual([]);
    expect(calls.map(([name]) => name)).toEqual(['a']);
    expect(accepts.size).toBe(2);
    state.down = false;
    expect((await accepts.withdraw()).map((r) => r.batchName)).toEqual(['a', 'b']);
    expect(accepts.size).toBe(0);
  });

  it(`gives up the oldest past ${MAX_IN_DOUBT_BATCHES} batches and reports it`, async () => {
    const { store, calls } = storeAnswering({});
    const accepts = new InDoubtAccepts(store);
    for (let i = 0; i <= MAX_IN_DOUBT_BATCHES; i++) accepts.add(`b${i}`);
    expect(accepts.size).toBe(MAX_IN_DOUBT_BATCHES);
    const results = await accepts.withdraw();
    expect(results[0]).toEqual({ batchName: 'b0', outcome: 'givenUp' });
    expect(results).toHaveLength(MAX_IN_DOUBT_BATCHES + 1);
    expect(calls[0][0]).toBe('b1');
  });
});

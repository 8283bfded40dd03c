import { readAhead } from './chunks';

describe('readAhead', () => {
  /** A source that records when each item is read and when it is closed. */
  function source(count: number, failAt?: number) {
    const events: string[] = [];
    async function* items() {
      try {
        for (let i = 0; i < count; i++) {
          events.push(`read ${i}`);
          await Promise.resolve();
          if (i === failAt) throw new Error(`read ${i} failed`);
          yield i;
        }
      } finally {
        events.push('closed');
      }
    }
    return { events, items: items() };
  }

  it('gives every item in order, reading the next one before the current one is used', async () => {
    const { events, items } = source(3);
    for await (const item of readAhead(items)) events.push(`use ${item}`);
    expect(events).toEqual(['read 0', 'read 1', 'use 0', 'read 2', 'use 1', 'closed', 'use 2']);
  });

  it('reads `depth` items ahead from the start, before the first one is asked for', async () => {
    const { events, items } = source(5);
    const ahead = readAhead(items, 3);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual(['read 0', 'read 1', 'read 2']);
    const used: number[] = [];
    for await (const item of ahead) used.push(item);
    expect(used).toEqual([0, 1, 2, 3, 4]);
    expect(events.at(-1)).toBe('closed');
  });

  it('passes a failure of the read ahead on at the item it failed to read, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { items } = source(3, 1);
      const used: number[] = [];
      const reading = (async () => {
        for await (const item of readAhead(items)) {
          used.push(item);
          // The read of item 1 fails while item 0 is still in use.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await expect(reading).rejects.toThrow('read 1 failed');
      expect(used).toEqual([0]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('closes the source when the consumer stops early', async () => {
    const { events, items } = source(5);
    for await (const item of readAhead(items)) if (item === 1) break;
    expect(events.at(-1)).toBe('closed');
    expect(events.filter((e) => e.startsWith('read'))).toEqual(['read 0', 'read 1', 'read 2']);
  });
});

/**
 * Async iteration in chunks, for answers written while they are read.
 *
 * An async generator keeps its locals while it waits at a `yield`: a stage written as one holds
 * its last chunk (records, views) until it is asked for the next, which is long when the chunk
 * waits to be written to a slow socket. Data that lives that long is promoted to V8's old
 * generation, where only a full garbage collection frees it: a 100,000-record answer raised the
 * API's peak RSS by ~100 MB that way. The stages here keep nothing once they have handed a chunk on.
 */

/**
 * Chunks made by `read` (undefined: there are no more), one call at a time even when several are
 * asked for at once (`read` may keep state, such as a position).
 */
export function chunks<T>(read: () => Promise<T | undefined>): AsyncIterable<T> {
  let ended = false;
  // Settles when the last call has; holds no chunk.
  let last: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = last.then(async (): Promise<IteratorResult<T>> => {
      let value: T | undefined;
      try {
        value = ended ? undefined : await read();
      } catch (error) {
        // A failed read ends the chunks: reads asked for meanwhile are not sent.
        ended = true;
        throw error;
      }
      if (value === undefined) {
        ended = true;
        return { done: true, value: undefined };
      }
      return { done: false, value };
    });
    last = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
  return { [Symbol.asyncIterator]: () => ({ next }) };
}

/** Each chunk of `items` made into another by `map`, one at a time, in order. */
export function mapChunks<T, U>(items: AsyncIterable<T>, map: (item: T) => U | Promise<U>): AsyncIterable<U> {
  const iterator = items[Symbol.asyncIterator]();
  return chunks(async () => {
    const item = await iterator.next();
    return item.done ? undefined : map(item.value);
  });
}

/**
 * The same items, with the next `depth` ones read while the current one is used: Redis works on
 * the next chunks while this one is serialized and written. Reading starts at once, before the
 * first item is asked for (so that it runs beside other work, such as summing up a batch).
 *
 * Whoever reads ahead should turn an item into what it keeps at once (a tally, text): records
 * that wait outlive a garbage collection or two and end up in the old generation.
 */
export function readAhead<T>(items: AsyncIterable<T>, depth = 1): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  // An async generator queues calls of next(): several may be in flight.
  const pull = () => {
    const next = iterator.next();
    // Handled now, so that a failure while earlier items are used is not an unhandled rejection; awaited below.
    next.catch(() => undefined);
    queue.push(next);
  };
  for (let i = 0; i < depth; i++) pull();
  return (async function* () {
    try {
      for (;;) {
        const current = await queue.shift()!;
        if (current.done) return;
        pull();
        yield current.value;
      }
    } finally {
      // Stopped early (the client went away): let the reads in flight end, then close the source.
      await Promise.allSettled(queue);
      await iterator.return?.();
    }
  })();
}

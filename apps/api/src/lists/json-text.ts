import type { JobStatusView, StreamedBatchView } from '@rjs/core';

/** Items serialized together: their text (~25 KB) stays well below V8's large-object size (see below). */
const ITEMS_PER_PIECE = 100;

/**
 * The JSON text of the list answers, a chunk of items at a time as they are read, each chunk's text
 * in pieces. Put together, the pieces are byte for byte what JSON.stringify (Fastify's serializer)
 * gives for the whole answer.
 *
 * A chunk is serialized as soon as it is read, so that its records die young; only its text waits
 * to be written. No string made here nears 128 KiB: V8 puts larger ones straight into the old
 * generation, where they wait for a full garbage collection (with 1,000-record strings, a
 * 100,000-record answer raised the API's peak RSS by ~100 MB).
 */
export async function* jobListText(chunks: AsyncIterable<JobStatusView[]>): AsyncGenerator<string[]> {
  let opening = '[';
  for await (const chunk of chunks) {
    const pieces: string[] = [];
    for (let i = 0; i < chunk.length; i += ITEMS_PER_PIECE) {
      const text = JSON.stringify(chunk.slice(i, i + ITEMS_PER_PIECE));
      // `[a,b]` becomes `[a,b` for the first piece and `,a,b` after it.
      pieces.push(opening + text.slice(1, -1));
      opening = ',';
    }
    if (pieces.length) yield pieces;
  }
  yield [opening === '[' ? '[]' : ']'];
}

export async function* batchText({ batch, jobStatuses }: StreamedBatchView): AsyncGenerator<string[]> {
  // jobStatuses is the last field of a BatchStatus: the batch's own fields go first, whole.
  yield [`${JSON.stringify(batch).slice(0, -1)},"jobStatuses":`];
  yield* jobListText(jobStatuses);
  yield ['}'];
}

export async function* batchListText(chunks: AsyncIterable<StreamedBatchView[]>): AsyncGenerator<string[]> {
  let separator = '[';
  for await (const chunk of chunks) {
    for (const batch of chunk) {
      yield [separator];
      separator = ',';
      yield* batchText(batch);
    }
  }
  yield [separator === '[' ? '[]' : ']'];
}

import type { JobStatusView, StreamedBatchView } from '@rjs/core';

/**
 * The JSON text of the list answers, piece by piece as their items are read. Put together, the
 * pieces are byte for byte what JSON.stringify (Fastify's serializer) gives for the whole answer.
 */
export async function* jobListText(chunks: AsyncIterable<JobStatusView[]>): AsyncGenerator<string> {
  let separator = '[';
  for await (const chunk of chunks) {
    let text = '';
    for (const job of chunk) {
      text += separator + JSON.stringify(job);
      separator = ',';
    }
    yield text;
  }
  yield separator === '[' ? '[]' : ']';
}

export async function* batchText({ batch, jobStatuses }: StreamedBatchView): AsyncGenerator<string> {
  // jobStatuses is the last field of a BatchStatus: the batch's own fields go first, whole.
  yield `${JSON.stringify(batch).slice(0, -1)},"jobStatuses":`;
  yield* jobListText(jobStatuses);
  yield '}';
}

export async function* batchListText(chunks: AsyncIterable<StreamedBatchView[]>): AsyncGenerator<string> {
  let separator = '[';
  for await (const chunk of chunks) {
    for (const batch of chunk) {
      yield separator;
      separator = ',';
      yield* batchText(batch);
    }
  }
  yield separator === '[' ? '[]' : ']';
}

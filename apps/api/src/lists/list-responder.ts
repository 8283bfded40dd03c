import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ListPosition, readAhead } from '@rjs/core';
import { type Logger, LOGGER } from '@rjs/platform';
import { isStoreUnavailable } from '../store-unavailable';
import { encodeCursor } from './list-cursor';
import type { ListRoute } from './list-route';

/**
 * How much of an answer is read before the status line goes out, and about the size of the pieces
 * written after it. An answer that ends within it is sent whole, with a Content-Length, as before.
 */
const HEAD_BYTES = 64 * 1024;

/**
 * Writes a list answer as its text is produced, so that the API's memory does not grow with the
 * answer. The first 64 KiB are read before anything is sent: a failure there (Redis unreachable,
 * a bad cursor) is still answered by the exception filter (503, 422). Once the answer has started,
 * its status cannot change any more: a failure then closes the connection before the end of the
 * chunked body, so the client sees a broken answer, never a complete 200 that lacks items.
 */
@Injectable()
export class ListResponder {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  async send(request: FastifyRequest, reply: FastifyReply, route: ListRoute, text: AsyncIterable<string[]>, next?: ListPosition): Promise<string | AsyncIterable<string>> {
    // The next chunk is read and serialized while this one is written.
    const chunks = readAhead(text);
    const head = new Pieces();
    while (head.length < HEAD_BYTES) {
      const chunk = await chunks.next();
      if (chunk.done) return this.start(request, reply, route, next, head.takeAll());
      head.add(chunk.value);
    }
    if (request.method === 'HEAD') {
      // A HEAD answer has no body: stop reading (Nest does not read an iterable for HEAD).
      await chunks.return(undefined);
      return this.start(request, reply, route, next, noText());
    }
    // Nest writes an async iterable as it is produced (backpressure, and it stops it when the client
    // goes away); strings reach the socket as they are, without a Buffer made of each.
    return this.start(request, reply, route, next, this.rest(request, head, chunks));
  }

  private start<T>(request: FastifyRequest, reply: FastifyReply, route: ListRoute, next: ListPosition | undefined, body: T): T {
    void reply.header('content-type', 'application/json; charset=utf-8');
    if (next) void reply.header('link', `<${nextPageUrl(request.url, encodeCursor(route, next))}>; rel="next"`);
    return body;
  }

  private async *rest(request: FastifyRequest, text: Pieces, chunks: AsyncGenerator<string[]>): AsyncGenerator<string> {
    try {
      yield* text.take(HEAD_BYTES);
      for await (const chunk of chunks) {
        text.add(chunk);
        yield* text.take(HEAD_BYTES);
      }
    } catch (error) {
      const context = { method: request.method, url: request.url, err: error };
      const message = 'a list answer was broken off: reading it failed after it had started, so the connection is closed';
      if (isStoreUnavailable(error)) this.logger.warn(context, message);
      else this.logger.error(context, message);
      throw error;
    }
    yield text.takeAll();
  }
}

/**
 * Text gathered to be written, taken as flat strings (joined, not concatenated) of about `size`:
 * small pieces are written together, and no string grows large (see json-text.ts).
 */
class Pieces {
  private parts: string[] = [];
  length = 0;

  add(pieces: string[]): void {
    for (const piece of pieces) {
      this.parts.push(piece);
      this.length += piece.length;
    }
  }

  /** Strings of at least `size` characters, as long as that much is gathered; the rest stays. */
  *take(size: number): Generator<string> {
    while (this.length >= size) {
      let count = 0;
      let length = 0;
      while (length < size) length += this.parts[count++].length;
      const text = this.parts.slice(0, count).join('');
      this.parts = this.parts.slice(count);
      this.length -= length;
      yield text;
    }
  }

  takeAll(): string {
    const text = this.parts.join('');
    this.parts = [];
    this.length = 0;
    return text;
  }
}

async function* noText(): AsyncGenerator<string> {}

/** The URL of the next page: the request's own path and parameters, with the new cursor. */
export function nextPageUrl(requestUrl: string, cursor: string): string {
  const query = requestUrl.indexOf('?');
  const path = query < 0 ? requestUrl : requestUrl.slice(0, query);
  const params = new URLSearchParams(query < 0 ? '' : requestUrl.slice(query + 1));
  params.set('continue', cursor);
  // The path goes between < and > in the header.
  return `${path.replace(/[<>"\s]/g, encodeURIComponent)}?${params.toString()}`;
}

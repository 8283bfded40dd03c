import type { ServerResponse } from 'node:http';
import { type BeforeApplicationShutdown, Controller, Get, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type EventQuery, filterEvent, parseEventQuery, streamIdAfter } from '@rjs/core';
import { FailureResponses } from '../dto/failure-responses';
import { type EventSubscriber, EventStreamHub, type StreamedEvent } from './event-stream-hub';

/** A client whose unsent answer grows past this cannot keep up: it is disconnected (it may resume with Last-Event-ID). */
export const MAX_CLIENT_BUFFER_BYTES = 1024 * 1024;
/** Events read per page when a client resumes. */
const REPLAY_PAGE = 500;
/** A comment now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** One SSE client: filters, writes, and is cut off when it falls behind. */
class EventClient implements EventSubscriber {
  /** Live events that came while the client was resuming; sent after the replay. */
  private pending: StreamedEvent[] | undefined = [];
  private pendingBytes = 0;
  private lastSent: string | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly query: EventQuery,
  ) {}

  deliver(events: StreamedEvent[]): void {
    if (this.pending) {
      this.pending.push(...events);
      this.pendingBytes += events.length * 512;
      if (this.pendingBytes > MAX_CLIENT_BUFFER_BYTES * 8) this.cutOff();
      return;
    }
    for (const event of events) this.send(event);
  }

  /** Sends an event unless filtered out or sent already; false once the client is cut off. */
  send(event: StreamedEvent): boolean {
    if (this.response.destroyed) return false;
    if (this.lastSent !== undefined && !streamIdAfter(event.id, this.lastSent)) return true;
    this.lastSent = event.id;
    const document = filterEvent(event.document, this.query);
    if (!document) return true;
    // The answer not yet taken by the client grows only this far: a slow client is cut off, never buffered without end.
    if (this.response.writableLength > MAX_CLIENT_BUFFER_BYTES) return this.cutOff();
    this.response.write(`id: ${event.id}\ndata: ${JSON.stringify(document)}\n\n`);
    return true;
  }

  /**
   * Says that the event `lastEventId` is no longer kept, so events after it may be missed, as an SSE
   * event of type `gap` (no `id:`, so the client's Last-Event-ID stays as it is; EventSource's
   * onmessage does not see it, a client that cares listens for it and reads the current state again).
   */
  gap(lastEventId: string, oldestKeptId: string): void {
    const message = `the event ${lastEventId} is no longer kept (EVENTS_STREAM_MAXLEN), the oldest kept is ${oldestKeptId}: events between them may be missed; read the current state with GET, then follow the events that come next`;
    this.response.write(`event: gap\ndata: ${JSON.stringify({ lastEventId, oldestKeptId, message })}\n\n`);
  }

  /** After the replay: what came live meanwhile, then live events as they come. */
  goLive(): void {
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const event of pending) if (!this.send(event)) return;
  }

  /** Ends the answer; one the client does not read is cut after a second (shutdown must not wait on it). */
  close(): void {
    this.response.end();
    setTimeout(() => this.response.destroy(), 1000).unref();
  }

  private cutOff(): false {
    this.response.destroy();
    return false;
  }
}

/**
 * GET /api/v1/events: Server-Sent Events, one per change of a job or batch (the webhook's document),
 * `id:` the events stream entry's, for Last-Event-ID to resume from.
 */
@ApiTags('events')
@Controller('api/v1')
export class EventsController implements BeforeApplicationShutdown {
  private readonly heartbeats = new Set<NodeJS.Timeout>();
  /** Open answers: a server closing ends them rather than waiting for clients that never leave. */
  private readonly responses = new Set<ServerResponse>();

  constructor(private readonly hub: EventStreamHub) {}

  @Get('events')
  @ApiOperation({
    operationId: 'getEvents',
    summary: 'A live stream of changes to jobs and batches (Server-Sent Events); send Last-Event-ID to resume after a disconnect',
  })
  @ApiQuery({ name: 'batchName', required: false, description: 'Only events of this batch (a single job: the batch name of type job)' })
  @ApiQuery({ name: 'jobName', required: false, description: 'Only events about this job (full name); jobStatuses holds only it' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: the stream resumes after it, for as long as it is kept; when it is no longer kept, an event of type `gap` says so first',
  })
  @ApiOkResponse({
    description:
      'text/event-stream: `id: <id>` and `data: <Notification>` (JSON, see the Notification schema) per event; on a resume from an event no longer kept, first `event: gap` with `data: {"lastEventId", "oldestKeptId", "message"}`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @FailureResponses(422, 503)
  async events(@Query() queryParameters: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const query = parseEventQuery(queryParameters, reply.request.headers['last-event-id']);
    const response = reply.raw;
    const client = new EventClient(response, query);
    // Before the answer starts: Redis unreachable is still a 503.
    const position = await this.hub.subscribe(client);
    reply.hijack();
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    if (reply.request.method === 'HEAD') {
      this.hub.unsubscribe(client);
      return void response.end();
    }
    response.write(': connected\n\n');
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeats.add(heartbeat);
    this.responses.add(response);
    response.once('close', () => {
      this.responses.delete(response);
      // The answer never ends by itself: its connection cannot serve another request, and a server
      // closing must not wait for it.
      response.socket?.destroy();
      clearInterval(heartbeat);
      this.heartbeats.delete(heartbeat);
      this.hub.unsubscribe(client);
    });
    try {
      if (query.lastEventId) await this.replay(client, query.lastEventId, position, response);
      client.goLive();
    } catch {
      // Redis failed midway: the client resumes with the last id it got.
      response.destroy();
    }
  }

  beforeApplicationShutdown(): void {
    for (const heartbeat of this.heartbeats) clearInterval(heartbeat);
    for (const response of this.responses) response.end(() => response.socket?.destroy());
  }

  /** The kept events after `from` up to `until` (where live events take over), a page at a time, with backpressure. */
  private async replay(client: EventClient, from: string, until: string, response: ServerResponse): Promise<void> {
    // Redis does not say which entries it trimmed: a resume from before the oldest kept may have
    // missed some (when the last one trimmed was the client's own, none: said all the same).
    const oldest = await this.hub.log.oldestId();
    if (oldest !== undefined && streamIdAfter(oldest, from)) client.gap(from, oldest);
    let after = from;
    while (!response.destroyed && streamIdAfter(until, after)) {
      const changes = (await this.hub.log.readAfter(after, REPLAY_PAGE)).filter((change) => !streamIdAfter(change.id!, until));
      if (changes.length === 0) return;
      for (const event of await this.hub.compose(changes)) if (!client.send(event)) return;
      after = changes[changes.length - 1].id!;
      if (response.writableNeedDrain) await new Promise((resolve) => response.once('drain', resolve).once('close', resolve));
    }
  }
}

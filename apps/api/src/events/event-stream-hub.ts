import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '@rjs/store';
import type { AppConfig } from '@rjs/config';
import { type NotificationDocument, NotificationComposer, type RecordedChange } from '@rjs/core';
import { APP_CONFIG, type Logger, LOGGER, REDIS } from '@rjs/platform';
import { RedisEventLog } from '@rjs/store';

/** An event as clients get it: the stream entry's id and the document. */
export interface StreamedEvent {
  id: string;
  document: NotificationDocument;
}

export interface EventSubscriber {
  /** Called with every event after the position subscribe() answered, in order; must not block. */
  deliver(events: StreamedEvent[]): void;
  /** The API is shutting down. */
  close(): void;
}

/** Entries read per round; a round's documents share the batch state they were composed with. */
const ROUND = 500;
/** How long one read waits for new entries (the loop notices a shutdown within this). */
const BLOCK_MS = 2000;

/**
 * One reader of the events stream per API process, fanning out to every SSE client: one blocking
 * Redis connection and one document per event, however many clients listen. It reads while anyone
 * listens. The stream holds every change, whichever process made it, so every API process serves
 * them all.
 */
@Injectable()
export class EventStreamHub implements BeforeApplicationShutdown {
  readonly log: RedisEventLog;
  private readonly subscribers = new Set<EventSubscriber>();
  private position?: string;
  private running?: Promise<void>;
  private blocking?: RedisClient;
  private closed = false;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    readonly composer: NotificationComposer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.log = new RedisEventLog(redis, config.component.name);
  }

  /**
   * Adds a subscriber; resolves with the id of the last entry it will not get live (events after it
   * come through deliver). Rejects while Redis is unreachable (the request answers 503).
   */
  async subscribe(subscriber: EventSubscriber): Promise<string> {
    if (this.position === undefined || !this.running) this.position = await this.log.latestId();
    this.subscribers.add(subscriber);
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.position;
  }

  /** How many clients listen. */
  get listeners(): number {
    return this.subscribers.size;
  }

  unsubscribe(subscriber: EventSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** Documents for stream entries, the batch state read once per batch for all of them. */
  async compose(changes: RecordedChange[]): Promise<StreamedEvent[]> {
    const headers = new Map();
    const events: StreamedEvent[] = [];
    for (const change of changes) {
      events.push({ id: change.id!, document: await this.composer.compose(change.event, change.batchName, change.jobs, change.batch, headers) });
    }
    return events;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
    this.blocking?.disconnect();
    await this.running;
  }

  private async read(): Promise<void> {
    // A connection of its own: XREAD BLOCK holds it.
    const blocking = (this.blocking ??= this.redis.duplicate());
    blocking.on('error', () => undefined);
    const log = new RedisEventLog(blocking, this.config.component.name);
    while (this.subscribers.size > 0 && !this.closed) {
      try {
        const changes = await log.waitAfter(this.position!, ROUND, BLOCK_MS);
        if (changes.length === 0) continue;
        const events = await this.compose(changes);
        // Delivered and the position moved in one step: a subscriber added meanwhile gets exactly what follows.
        for (const subscriber of this.subscribers) subscriber.deliver(events);
        this.position = events[events.length - 1].id;
      } catch (error) {
        if (this.closed) return;
        this.logger.warn({ err: error }, 'reading the events stream failed; trying again in 1 s');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}

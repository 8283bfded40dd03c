import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { NotificationOutbox } from '@rjs/core';
import { BullMqNotificationQueue } from '@rjs/queue';
import { LOGGER, NOTIFICATION_OUTBOX, PeriodicTask } from '@rjs/platform';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-options';

/** Batches looked at per round; the rest wait for the next round (every notifyPollIntervalMs). */
const BATCHES_PER_ROUND = 500;

/**
 * Hands due webhook deliveries to the notifications queue: for each batch whose time has come,
 * opens its next delivery in the outbox (or finds the one open) and queues it under its id. Every
 * worker process runs it: opening is atomic, and queueing the same delivery twice adds it once.
 * A crash between the two leaves the delivery open; its lease runs out and it is queued then.
 */
@Injectable()
export class NotificationLoop implements BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    @Inject(NOTIFICATION_OUTBOX) private readonly outbox: NotificationOutbox,
    private readonly queue: BullMqNotificationQueue,
    @Inject(WORKER_OPTIONS) options: WorkerOptions,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.task = new PeriodicTask('queueing webhook deliveries', options.notifyPollIntervalMs, () => this.round(), logger);
  }

  start(): void {
    void this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** One round; also what tests and benchmarks call. */
  async round(): Promise<number> {
    const now = Date.now();
    let queued = 0;
    for (const batchName of await this.outbox.dueBatches(now, BATCHES_PER_ROUND)) {
      const delivery = await this.outbox.openDelivery(batchName, now);
      if (!delivery) continue;
      await this.queue.enqueueDelivery(batchName, delivery.id);
      queued++;
    }
    return queued;
  }
}

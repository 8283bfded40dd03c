import { Inject, Injectable, Optional } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import { NotificationComposer, type NotificationOutbox } from '@rjs/core';
import { BullMqNotificationQueue, type DeliveryWork } from '@rjs/queue';
import { APP_CONFIG, LOGGER, Metrics, NOTIFICATION_OUTBOX } from '@rjs/platform';
import { QueueProcessor } from '../queue-processor';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-options';
import { WebhookSender } from './webhook-sender';

/**
 * Sends one webhook delivery. The transitions stay in the outbox until the delivery ends, so a
 * worker killed mid-send leaves them for the next attempt (BullMQ hands stalled work to another
 * worker): delivery is at least once, and `webhook-id` lets receivers drop the repeats.
 * 2xx ends the delivery; 410 Gone ends it unsent (the receiver wants no more of it); anything else,
 * or no answer within 10 s, is retried with capped backoff until the give-up time, then the delivery
 * ends as a dead letter (failed work in Bull Board, rjs_webhook_deliveries_total{result="dead"}).
 */
@Injectable()
export class DeliveryProcessor extends QueueProcessor {
  private readonly sender?: WebhookSender;
  private readonly component: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(NOTIFICATION_OUTBOX) private readonly outbox: NotificationOutbox,
    private readonly composer: NotificationComposer,
    private readonly queue: BullMqNotificationQueue,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(LOGGER) protected readonly logger: Logger,
    @Optional() private readonly metrics?: Metrics,
  ) {
    super();
    const { webhook, secret } = config.notifications;
    if (webhook) this.sender = new WebhookSender(webhook, secret, options.deliveryTimeoutMs);
    this.component = config.component.name;
  }

  async process(work: Job<DeliveryWork>): Promise<string> {
    const { batchName, deliveryId } = work.data;
    const delivery = await this.outbox.getDelivery(batchName, deliveryId);
    // Ended already: by another worker that had it before this one, or dead-lettered.
    if (!delivery) return 'ended';
    if (!this.sender) throw new UnrecoverableError('no webhook is configured');
    const jobs = delivery.changes.flatMap((change) => change.jobs);
    const document = await this.composer.compose(delivery.event, batchName, jobs, delivery.changes.find((c) => c.batch)?.batch);
    const body = JSON.stringify(document);
    let status: number | undefined;
    let failure: unknown;
    try {
      status = await this.sender.send(`msg_${this.component}_${deliveryId}`, body);
    } catch (error) {
      failure = error;
    }
    const now = Date.now();
    if (status !== undefined && ((status >= 200 && status < 300) || status === 410)) {
      await this.closeAndQueueNext(batchName, deliveryId, now);
      if (status === 410) {
        this.metrics?.countDelivery('gone');
        this.logger.warn({ batch: batchName, delivery: deliveryId, event: delivery.event }, 'the webhook answered 410 Gone: this delivery is not sent again');
        return 'gone';
      }
      this.metrics?.countDelivery('delivered');
      const oldest = Math.min(...delivery.changes.map((change) => change.timeMs));
      this.metrics?.observeDeliveryLatency(Math.max(0, now - oldest) / 1000);
      return 'delivered';
    }
    const reason = status !== undefined ? `the webhook answered ${status}` : `the webhook did not answer: ${(failure as Error)?.message ?? String(failure)}`;
    if (now - work.timestamp >= this.options.deliveryGiveUpAfterMs) {
      await this.closeAndQueueNext(batchName, deliveryId, now);
      this.metrics?.countDelivery('dead');
      this.logger.error({ batch: batchName, delivery: deliveryId, event: delivery.event, jobs: jobs.length }, `webhook delivery given up: ${reason}`);
      throw new UnrecoverableError(`given up after ${work.attemptsMade + 1} attempts: ${reason}`);
    }
    this.metrics?.countDelivery('failed');
    throw new Error(reason);
  }

  /**
   * Ends the delivery and queues the batch's next one at once if it is due, rather than on the
   * notifier's next round: under a steady stream of changes the round's wait was most of the lag.
   * (The notifier would queue it anyway; queueing twice adds once.)
   */
  private async closeAndQueueNext(batchName: string, deliveryId: string, now: number): Promise<void> {
    if (!(await this.outbox.closeDelivery(batchName, deliveryId, now))) return;
    const next = await this.outbox.openDelivery(batchName, now);
    if (next) await this.queue.enqueueDelivery(batchName, next.id);
  }
}

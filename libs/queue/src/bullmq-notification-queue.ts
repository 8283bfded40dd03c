import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { DELIVERY_BACKOFF_TYPE, deliveryJobId, type DeliveryWork } from './queue-names';

export const NOTIFICATION_QUEUE = 'notifications';

/**
 * Retries end at the give-up time (24 h by default), not after a count. Failed work is kept for a
 * week: the dead letters Bull Board shows.
 */
export const DELIVERY_WORK_OPTIONS: JobsOptions = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: DELIVERY_BACKOFF_TYPE },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
};

@Injectable()
export class BullMqNotificationQueue {
  constructor(@InjectQueue(NOTIFICATION_QUEUE) readonly queue: Queue<DeliveryWork>) {}

  async enqueueDelivery(batchName: string, deliveryId: string): Promise<void> {
    await this.queue.add('deliver', { batchName, deliveryId }, { ...DELIVERY_WORK_OPTIONS, jobId: deliveryJobId(deliveryId) });
  }
}

import type { BackoffStrategy } from 'bullmq';
import { type BackoffPolicy, backoffDelayUntil } from '@rjs/core';

/** Waits between delivery attempts: 1 s, doubling to 5 min (about 300 attempts in 24 h). */
export const DELIVERY_RETRY_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 5 * 60_000 };

/**
 * BullMQ's backoff for deliveries (DELIVERY_BACKOFF_TYPE): capped, the last retry on the give-up
 * time (counted from when the delivery was first queued), when the processor dead-letters it.
 */
export function deliveryBackoffStrategy(policy: BackoffPolicy, giveUpAfterMs: number, now: () => number = Date.now): BackoffStrategy {
  return (attemptsMade, _type, _error, work) => backoffDelayUntil(attemptsMade, policy, (work?.timestamp ?? now()) + giveUpAfterMs, now());
}

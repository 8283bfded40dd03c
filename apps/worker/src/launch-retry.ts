import type { BackoffStrategy } from 'bullmq';
import { type BackoffPolicy, backoffDelay, backoffDelayUntil } from '@rjs/core';
import type { LaunchWork } from '@rjs/queue';

/** Waits between attempts of launch, stop and remove work: 1 s, doubling to 1 min. */
export const WORK_RETRY_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

/**
 * BullMQ's backoff for launch work (LAUNCH_BACKOFF_TYPE): capped, with the last retry on the
 * give-up time, so that the job fails then rather than up to a whole wait later.
 */
export function launchBackoffStrategy(giveUpAfterMs: number, now: () => number = Date.now): BackoffStrategy {
  return (attemptsMade, _type, _error, work) => {
    const failingSince = (work?.data as LaunchWork | undefined)?.failingSince;
    if (failingSince === undefined) return backoffDelay(attemptsMade, WORK_RETRY_BACKOFF);
    return backoffDelayUntil(attemptsMade, WORK_RETRY_BACKOFF, failingSince + giveUpAfterMs, now());
  };
}

/** BullMQ's backoff for control work (CONTROL_BACKOFF_TYPE): for as long as it fails, no give-up time. */
export const controlBackoffStrategy: BackoffStrategy = (attemptsMade) => backoffDelay(attemptsMade, WORK_RETRY_BACKOFF);

/** Whether work failing since `failingSince` has used up its give-up time. */
export function launchRetriesSpent(failingSince: number, giveUpAfterMs: number, now: number): boolean {
  return now - failingSince >= giveUpAfterMs;
}

/** 3600 -> "1h", 90 -> "1m30s": a give-up time in a message. */
export function durationInWords(seconds: number): string {
  const parts: [number, string][] = [
    [Math.floor(seconds / 3600), 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ];
  return parts.filter(([count]) => count > 0).map(([count, unit]) => `${count}${unit}`).join('') || '0s';
}

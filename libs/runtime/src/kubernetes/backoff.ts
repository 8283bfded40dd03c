import { type BackoffPolicy, backoffDelay } from '@rjs/core';
import { isTransient, retryAfterMs } from './api-errors';

export interface RetryPolicy extends BackoffPolicy {
  /** Tries in all, the first included. */
  attempts: number;
}

/** About 7.5 s of trying (0.25 + 0.5 + 1 + 2 + 4 s) before a caller hears "unavailable". */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, initialMs: 250, maxMs: 4000 };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` until it succeeds, fails with an error that will not pass (returned as is), or
 * the tries run out (the last transient error is thrown). A Retry-After from the server is
 * honoured up to the policy's cap.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (error: unknown, retry: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.attempts) throw error;
      const delay = Math.min(policy.maxMs, retryAfterMs(error) ?? backoffDelay(attempt, policy, Math.random));
      onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

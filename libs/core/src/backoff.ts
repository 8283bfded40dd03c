/** Capped exponential backoff: initialMs, then twice that per retry, never above maxMs. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * The wait before retry number `retry` (1 = the first retry). With `jitter` (a source of numbers in
 * [0, 1)), the wait falls at random in the upper half of that, so that replicas do not retry in step.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, jitter?: () => number): number {
  // 2 ** 1024 is Infinity, and 0 * Infinity is NaN: past 1023 doublings the cap has long applied.
  const doublings = Math.min(Math.max(0, retry - 1), 1023);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** doublings);
  return jitter ? ceiling / 2 + (jitter() * ceiling) / 2 : ceiling;
}

/** The backoff wait, shortened so that the last retry falls on the deadline rather than past it. */
export function backoffDelayUntil(retry: number, policy: BackoffPolicy, deadlineMs: number, nowMs: number): number {
  return Math.max(0, Math.min(backoffDelay(retry, policy), deadlineMs - nowMs));
}

/** Timings of the worker and watcher roles; tests shorten them through WorkerModule.forRoot / WatcherModule.forRoot. */
export interface WorkerOptions {
  /** How often the dispatch and cleanup outboxes are looked at (crash recovery). */
  outboxRecoveryIntervalMs: number;
  /**
   * How long a job waits in the dispatch outbox before recovery queues it: longer than an API takes
   * to hand it off, or to withdraw an accept answered 503 once Redis is back (reconnect <= 2 s, then
   * a try every 500 ms).
   */
  dispatchGraceMs: number;
  /** How often jobs left Stopping get their stop queued again. */
  stopRecoveryIntervalMs: number;
  /** How often records whose runtime object vanished are given a final status. */
  reconcileIntervalMs: number;
  /** Launches in parallel with the Kubernetes runtime; the local runtime launches one at a time, in queue order. */
  launchConcurrency: number;
  /** Stops and removals in parallel (a local stop may wait out the grace period). */
  controlConcurrency: number;
  /** BullMQ lock: a worker that dies holding work gives it up after this long. */
  lockDurationMs: number;
  /** How often BullMQ looks for work whose worker died. */
  stalledIntervalMs: number;
  /** How often the notifier looks for batches whose webhook delivery is due. */
  notifyPollIntervalMs: number;
  /** A batch's changes wait this long after the first for others to go in the same delivery (<= 1 s). */
  deliveryCoalesceMs: number;
  /** An open delivery's work is queued again this long after it was last (after a crash between the two). */
  deliveryLeaseMs: number;
  /** A delivery is retried this long (24 h), then dead-lettered. */
  deliveryGiveUpAfterMs: number;
  /** One delivery attempt without an answer within this is a failed one (10 s). */
  deliveryTimeoutMs: number;
  /** Waits between delivery attempts. */
  deliveryBackoff: { initialMs: number; maxMs: number };
  /** With MAX_ACTIVE_JOBS: how long the launch queue pauses when no slot is free, before launches try again. */
  slotWaitMs: number;
  /** With MAX_ACTIVE_JOBS: how often slots held by jobs whose record is final or gone are given back. */
  slotReconcileIntervalMs: number;
}

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  outboxRecoveryIntervalMs: 5_000,
  dispatchGraceMs: 10_000,
  stopRecoveryIntervalMs: 60_000,
  reconcileIntervalMs: 30_000,
  launchConcurrency: 10,
  controlConcurrency: 16,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  notifyPollIntervalMs: 100,
  deliveryCoalesceMs: 250,
  deliveryLeaseMs: 30_000,
  deliveryGiveUpAfterMs: 24 * 3600_000,
  deliveryTimeoutMs: 10_000,
  deliveryBackoff: { initialMs: 1000, maxMs: 5 * 60_000 },
  slotWaitMs: 250,
  slotReconcileIntervalMs: 30_000,
};

export function workerOptions(overrides: Partial<WorkerOptions> | undefined): WorkerOptions {
  return { ...DEFAULT_WORKER_OPTIONS, ...overrides };
}

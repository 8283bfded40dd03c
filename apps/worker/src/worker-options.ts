/** Timings of the worker and watcher roles; tests shorten them through WorkerModule.forRoot / WatcherModule.forRoot. */
export interface WorkerOptions {
  /** How often the dispatch and cleanup outboxes are looked at (crash recovery). */
  outboxRecoveryIntervalMs: number;
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
}

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  outboxRecoveryIntervalMs: 5_000,
  stopRecoveryIntervalMs: 60_000,
  reconcileIntervalMs: 30_000,
  launchConcurrency: 10,
  controlConcurrency: 16,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
};

export function workerOptions(overrides: Partial<WorkerOptions> | undefined): WorkerOptions {
  return { ...DEFAULT_WORKER_OPTIONS, ...overrides };
}

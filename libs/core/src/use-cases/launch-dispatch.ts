import type { StatusStore, WorkQueue } from '../ports';
import type { JobRun } from '../records';

/** The least time between two hand-offs of one process: a lone request is handed off at once. */
export const DEFAULT_HANDOFF_INTERVAL_MS = 5;

interface Waiter {
  runs: JobRun[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The second step of accepting (or restarting) jobs: hands their runs to the workers, then clears
 * them from the dispatch outbox. Concurrent requests share these round trips (group commit): while
 * one dispatch is in flight, the jobs accepted meanwhile wait and go together in the next one, as
 * one entry of the dispatch queue and one SREM. A request that comes alone goes at the end of its
 * event-loop turn; under load a round trip carries the jobs of many requests instead of two per
 * request, and round trips begin at least `minIntervalMs` apart, so that a hand-off carries the
 * jobs of that long (at 5,000 accepts/s and 5 ms, ~25). A worker turns the entry into launch work,
 * one per run (DispatchExpansion): BullMQ's add costs about as much per job as the rest of an
 * accept, and the API process is what limits the accept rate; the worker's cost per hand-off
 * (taking and finishing BullMQ work, reading the records) is shared by the jobs it carries. Each
 * caller's promise settles with its own dispatch. `pendingRuns` tells callers that do not await
 * their dispatch how much waits, so that they can.
 */
export class LaunchDispatch {
  private waiting: Waiter[] = [];
  private flushing = false;
  private currentFlush: Promise<void> = Promise.resolve();
  private pending = 0;
  /** When the last round trip began (performance.now()). */
  private lastRoundTripAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly queue: WorkQueue,
    private readonly store: StatusStore,
    private readonly minIntervalMs = DEFAULT_HANDOFF_INTERVAL_MS,
  ) {}

  /** Runs handed to dispatch() and not yet queued (or failed). */
  get pendingRuns(): number {
    return this.pending;
  }

  /** Settles when `runs` are queued and cleared from the outbox; with no runs, when every run handed over before is. */
  dispatch(runs: JobRun[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ runs, resolve, reject });
      this.pending += runs.length;
      if (!this.flushing) {
        this.flushing = true;
        this.currentFlush = this.nextRoundTrip().then(() => this.flush());
      }
    });
  }

  /** Resolves once nothing waits: what was handed over is queued, or failed and left to recovery. */
  async drain(): Promise<void> {
    while (this.flushing) await this.currentFlush;
  }

  /**
   * From the end of this turn of the event loop (the answers of the requests read in it are written
   * first, and their jobs go together), and no sooner than `minIntervalMs` after the last round trip began.
   */
  private nextRoundTrip(): Promise<void> {
    const wait = this.lastRoundTripAt + this.minIntervalMs - performance.now();
    return new Promise<void>((start) => (wait > 0 ? setTimeout(start, wait) : setImmediate(start)));
  }

  private async flush(): Promise<void> {
    for (let first = true; this.waiting.length; first = false) {
      if (!first) await this.nextRoundTrip();
      this.lastRoundTripAt = performance.now();
      const batch = this.waiting;
      this.waiting = [];
      const runs = batch.flatMap((w) => w.runs);
      try {
        if (runs.length) {
          const names = runs.map((run) => run.name);
          await this.queue.enqueueDispatch(names);
          await this.store.markDispatched(names);
        }
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      } finally {
        this.pending -= runs.length;
      }
    }
    this.flushing = false;
  }
}

import type { StatusStore, WorkQueue } from '../ports';
import type { JobRun } from '../records';

interface Waiter {
  runs: JobRun[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The second step of accepting (or restarting) jobs: hands their runs to the launch queue, then
 * clears them from the dispatch outbox. Concurrent requests share these round trips (group commit): while one dispatch
 * is in flight, the jobs accepted meanwhile wait and go together in the next one, as one addBulk
 * and one SREM. A request that comes alone goes at once; under load a round trip carries the jobs
 * of many requests instead of two per request. Each caller's promise settles with its own dispatch.
 * What waits is bounded by the requests in flight, each of which awaits its dispatch.
 */
export class LaunchDispatch {
  private waiting: Waiter[] = [];
  private flushing = false;

  constructor(
    private readonly queue: WorkQueue,
    private readonly store: StatusStore,
  ) {}

  dispatch(runs: JobRun[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ runs, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length) {
      const batch = this.waiting;
      this.waiting = [];
      const runs = batch.flatMap((w) => w.runs);
      try {
        await this.queue.enqueueLaunch(runs);
        await this.store.markDispatched(runs.map((run) => run.name));
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.flushing = false;
  }
}

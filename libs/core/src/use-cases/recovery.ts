import { isFinal, JobStatus } from '../job-status';
import type { Clock, JobRuntime, StatusStore, WorkQueue } from '../ports';
import { generationOf, type JobRecord, rfc3339, runOf } from '../records';
import { DispatchExpansion } from './dispatch-expansion';
import type { ObservationRecorder } from './record-observation';

/**
 * Finishes what a crash interrupted. Every step is idempotent, so it runs at start and then
 * periodically in any number of processes.
 */
export class Recovery {
  /** When this process first saw each job that is in the dispatch outbox now (its monotonic ms). */
  private pendingSince = new Map<string, number>();
  private readonly expansion: DispatchExpansion;

  constructor(
    private readonly store: StatusStore,
    private readonly queue: WorkQueue,
  ) {
    this.expansion = new DispatchExpansion(store, queue);
  }

  /**
   * Accepted jobs whose queue entry may be missing are queued (again: the queue drops duplicates),
   * once this process has seen them wait in the dispatch outbox for `graceMs`. Until then they are
   * left to the API that wrote them: its hand-off is on its way, or its accept was answered 503 and
   * is being withdrawn (InDoubtAccepts). The time counts from when this process saw them, not from
   * their records: after a long Redis outage every record is old, and the API needs the grace then.
   */
  async redispatch(graceMs = 0, nowMs = performance.now()): Promise<number> {
    const pending = await this.store.pendingDispatch();
    const since = new Map<string, number>();
    const due: string[] = [];
    for (const name of pending) {
      const first = this.pendingSince.get(name) ?? nowMs;
      since.set(name, first);
      if (nowMs - first >= graceMs) due.push(name);
    }
    this.pendingSince = since;
    if (due.length === 0) return 0;
    // What a worker does with a hand-off: launch work for each job still Waiting.
    const queued = await this.expansion.expand(due);
    await this.store.markDispatched(due);
    return queued;
  }

  /** Deleted jobs whose runtime removal may not be queued yet. */
  async requeueCleanup(): Promise<number> {
    const names = await this.store.pendingCleanup();
    await this.queue.enqueueRemove(names);
    await this.store.markCleaned(names);
    return names.length;
  }

  /** Jobs left Stopping (the stop request may have been lost) get their stop queued again. */
  async requeueStops(): Promise<number> {
    const records = await this.unfinished();
    const stopping = records.filter((r) => r.status === JobStatus.Stopping).map(runOf);
    await this.queue.enqueueStop(stopping);
    return stopping.length;
  }

  private async unfinished(): Promise<JobRecord[]> {
    const names = await this.store.listUnfinishedJobNames();
    return (await this.store.getJobs(names)).filter((r): r is JobRecord => !!r && !isFinal(r.status));
  }
}

/**
 * A launched job whose runtime object vanished (deleted by hand, lost with its node or process)
 * would otherwise say Active or Running forever: give it a final status with a message.
 * `runtime.has` must not answer false from a cache that may lag a fresh launch (a cache that
 * holds the job may answer true: a deletion since then is reported by the runtime's own watch).
 */
export class VanishedJobReconciler {
  constructor(
    private readonly store: StatusStore,
    private readonly runtime: JobRuntime,
    private readonly recorder: ObservationRecorder,
    private readonly clock: Clock,
  ) {}

  async reconcile(): Promise<string[]> {
    const names = await this.store.listUnfinishedJobNames();
    const records = await this.store.getJobs(names);
    const vanished: string[] = [];
    for (const record of records) {
      if (!record || !record.launched || isFinal(record.status)) continue;
      if (await this.runtime.has(record.name)) continue;
      const at = rfc3339(this.clock.now());
      // Of the run read: a restart meanwhile launches a new run, which this must not end.
      const generation = generationOf(record);
      const { changed } =
        record.status === JobStatus.Stopping
          ? await this.recorder.record(record.name, { kind: 'stopped', at, generation })
          : await this.recorder.record(record.name, {
              kind: 'failed',
              at,
              generation,
              reason: 'Vanished',
              message: `the ${this.runtime.kind} runtime no longer holds the job`,
            });
      if (changed) vanished.push(record.name);
    }
    return vanished;
  }
}

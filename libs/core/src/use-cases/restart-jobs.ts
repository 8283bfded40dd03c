import { badRequest, conflict, type DomainError } from '../errors';
import type { Clock, StatusStore, WorkQueue } from '../ports';
import { type JobRecord, type JobRun, rfc3339, runOf } from '../records';
import { canRestart, restartRun } from '../transitions';
import type { JobQueries } from './job-queries';
import { LaunchDispatch } from './launch-dispatch';
import { batchToReuse, jobGone, recordToReuse, specToReuse } from './stored-jobs';

/**
 * Restart: each job starts again as a new run (generation) under the same name, from its stored
 * spec and payload, and is Waiting with `restart` set. The new run's launch ends the earlier run
 * if it still runs. As with accepting, the records and the dispatch outbox change in one atomic
 * step per job (the store's compare-and-set) before the queue is touched, so a crash leaves jobs
 * that recovery dispatches.
 */
export class JobRestarter {
  private readonly dispatch: LaunchDispatch;

  constructor(
    private readonly store: StatusStore,
    queue: WorkQueue,
    private readonly queries: JobQueries,
    private readonly clock: Clock,
    private readonly onDispatchFailure: (error: unknown) => void = () => undefined,
  ) {
    this.dispatch = new LaunchDispatch(queue, store);
  }

  /** Only single jobs can be restarted with this method, as with stop and delete. */
  async restartSingleJob(name: string): Promise<void> {
    const record = await recordToReuse(this.store, name, 'restarted');
    if (record.batchType !== 'job') {
      throw badRequest(`job ${name} belongs to the batch ${record.batchName}: restart it with POST /api/v1/batches/${record.batchName}/jobs/${name}/restart`);
    }
    await this.restart([record]);
  }

  /** Returns the job's full name. */
  async restartBatchJob(batchName: string, jobName: string): Promise<string> {
    const record = await this.queries.findBatchJob(batchName, jobName);
    await this.restart([record]);
    return record.name;
  }

  /** Restarts every job of the batch, or none when one of them cannot be. */
  async restartBatch(batchName: string): Promise<void> {
    const batch = await batchToReuse(this.store, batchName, 'restarted');
    const jobs = (await this.store.getJobs(batch.jobNames)).filter((j): j is JobRecord => !!j);
    await this.restart(jobs);
  }

  private async restart(records: JobRecord[]): Promise<void> {
    // Checked for all first, so that a refused request changes nothing.
    const refused = records.find((r) => !canRestart(r.status));
    if (refused) throw stoppingConflict(refused.name);
    await this.checkStored(records.map((r) => r.name));
    const at = rfc3339(this.clock.now());
    const restarted: JobRun[] = [];
    let raced: DomainError | undefined;
    for (const { name } of records) {
      const { record, changed } = await this.store.update(name, (current) => restartRun(current, at));
      if (changed && record) restarted.push(runOf(record));
      // Changed since the check: deleted, or a stop came (restartRun refuses only Stopping). The
      // jobs restarted so far still need their launch.
      else raced ??= record ? stoppingConflict(name) : jobGone(name, 'restarted');
    }
    try {
      await this.dispatch.dispatch(restarted);
    } catch (error) {
      this.onDispatchFailure(error);
    }
    if (raced) throw raced;
  }

  private async checkStored(names: string[]): Promise<void> {
    const stored = await Promise.all(names.map((name) => Promise.all([this.store.getSpec(name), this.store.hasPayload(name)])));
    stored.forEach(([spec, payloadStored], i) => specToReuse(names[i], spec, payloadStored, 'restarted'));
  }
}

const stoppingConflict = (name: string) =>
  conflict(`job ${name} is Stopping: a restart now would be ended by the stop under way; restart it once it is Stopped`);

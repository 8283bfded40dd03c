import { badRequest, notFound } from '../errors';
import { isFinal, JobStatus } from '../job-status';
import type { Clock, StatusStore, WorkQueue } from '../ports';
import { type JobRecord, type JobRun, rfc3339, runOf } from '../records';
import { requestStop } from '../transitions';
import type { JobQueries } from './job-queries';

/**
 * Stop requests. A job the runtime does not hold yet stops at once and its queued launch is
 * removed; a launched job becomes Stopping and the stop is handed to a worker through the queue.
 */
export class JobStopper {
  constructor(
    private readonly store: StatusStore,
    private readonly queue: WorkQueue,
    private readonly queries: JobQueries,
    private readonly clock: Clock,
  ) {}

  /** Only single jobs can be stopped with this method, as the API documents. */
  async stopSingleJob(name: string): Promise<void> {
    const record = await this.store.getJob(name);
    if (!record) throw notFound(`job ${name}`);
    if (record.batchType !== 'job') {
      throw badRequest(`job ${name} belongs to the batch ${record.batchName}: stop it with POST /api/v1/batches/${record.batchName}/jobs/${name}/stop`);
    }
    await this.stopOrExplain(record);
  }

  async stopBatchJob(batchName: string, jobName: string): Promise<string> {
    const record = await this.queries.findBatchJob(batchName, jobName);
    await this.stopOrExplain(record);
    return record.name;
  }

  async stopBatch(batchName: string): Promise<void> {
    const batch = await this.store.getBatch(batchName);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${batchName}`);
    const jobs = (await this.store.getJobs(batch.jobNames)).filter((j): j is JobRecord => !!j);
    if (jobs.every((j) => isFinal(j.status))) throw badRequest(`batch ${batchName} has already completed: every job has a final status`);
    await this.stopAll(jobs.map((j) => j.name));
  }

  /** Stops every single job that has not completed. */
  async stopAllSingleJobs(): Promise<void> {
    const jobs = await this.store.listSingleJobs();
    await this.stopAll(jobs.filter((j) => !isFinal(j.status)).map((j) => j.name));
  }

  /** Stops every job of every batch that has not completed. */
  async stopAllBatches(): Promise<void> {
    const batches = await this.store.listBatches();
    const jobs = (await this.store.getJobs(batches.flatMap((b) => b.jobNames))).filter((j): j is JobRecord => !!j);
    await this.stopAll(jobs.filter((j) => !isFinal(j.status)).map((j) => j.name));
  }

  private async stopOrExplain(record: JobRecord): Promise<void> {
    if (isFinal(record.status)) throw badRequest(`job ${record.name} cannot be stopped: it has already ${record.status}`);
    await this.stopAll([record.name]);
  }

  private async stopAll(names: string[]): Promise<void> {
    const at = rfc3339(this.clock.now());
    const stoppedNow: JobRun[] = [];
    const handedOver: JobRun[] = [];
    for (const name of names) {
      const { record, changed } = await this.store.update(name, (current) => requestStop(current, at));
      if (!changed || !record) continue;
      (record.status === JobStatus.Stopped ? stoppedNow : handedOver).push(runOf(record));
    }
    await this.queue.cancelLaunch(stoppedNow);
    await this.queue.enqueueStop(handedOver);
  }
}

import { notFound } from '../errors';
import type { StatusStore } from '../ports';
import type { BatchRecord, JobRecord } from '../records';
import type { BatchStatusRule } from '../batch-status';
import { type BatchStatusView, type JobStatusView, toBatchView, toJobView } from '../views';

/**
 * The read side of the API, served from the status records. A batch's status follows the job
 * component's batchStatusRules wherever a batch is shown.
 */
export class JobQueries {
  constructor(
    private readonly store: StatusStore,
    private readonly batchStatusRules: readonly BatchStatusRule[] = [],
  ) {}

  /** A batch as the API shows it, e.g. one just accepted. */
  viewOfBatch(batch: BatchRecord, jobs: JobRecord[], withJobs = true): BatchStatusView {
    return toBatchView(batch, jobs, withJobs, this.batchStatusRules);
  }

  async listJobs(): Promise<JobStatusView[]> {
    return (await this.store.listSingleJobs()).map(toJobView);
  }

  /** Finds single and batch jobs. */
  async getJob(name: string): Promise<JobStatusView> {
    return toJobView(await this.findJob(name));
  }

  /** The record of a single job or of a job of a batch. */
  async findJob(name: string): Promise<JobRecord> {
    const record = await this.store.getJob(name);
    if (!record) throw notFound(`job ${name}`);
    return record;
  }

  async listBatches(): Promise<BatchStatusView[]> {
    const batches = await this.store.listBatches();
    const jobs = await this.store.getJobs(batches.flatMap((b) => b.jobNames));
    const byName = new Map(jobs.filter((j): j is JobRecord => !!j).map((j) => [j.name, j]));
    return batches.map((b) => this.viewOfBatch(b, this.pick(b.jobNames, byName), false));
  }

  async getBatch(name: string): Promise<BatchStatusView> {
    const batch = await this.store.getBatch(name);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${name}`);
    const jobs = (await this.store.getJobs(batch.jobNames)).filter((j): j is JobRecord => !!j);
    return this.viewOfBatch(batch, jobs);
  }

  /** `jobName` may be the full job name or its last part (the random suffix), in any case. */
  async getBatchJob(batchName: string, jobName: string): Promise<JobStatusView> {
    const record = await this.findBatchJob(batchName, jobName);
    return toJobView(record);
  }

  /**
   * `jobName` matches without regard to case, as in the original; the batch name does not (only the
   * batch's own jobs are compared, so no other record can be reached this way).
   */
  async findBatchJob(batchName: string, jobName: string): Promise<JobRecord> {
    const batch = await this.store.getBatch(batchName);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${batchName}`);
    const wanted = [jobName, `${batchName}-${jobName}`].map((n) => n.toLowerCase());
    const fullName = batch.jobNames.find((n) => wanted.includes(n.toLowerCase()));
    const record = fullName ? await this.store.getJob(fullName) : undefined;
    if (!record) throw notFound(`job ${jobName} in the batch ${batchName}`);
    return record;
  }

  private pick(names: string[], byName: Map<string, JobRecord>): JobRecord[] {
    return names.map((n) => byName.get(n)).filter((j): j is JobRecord => !!j);
  }
}

import { notFound } from '../errors';
import type { StatusStore } from '../ports';
import type { JobRecord } from '../records';
import { type BatchStatusView, type JobStatusView, toBatchView, toJobView } from '../views';

/** The read side of the API, served from the status records. */
export class JobQueries {
  constructor(private readonly store: StatusStore) {}

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
    return batches.map((b) => toBatchView(b, this.pick(b.jobNames, byName), false));
  }

  async getBatch(name: string): Promise<BatchStatusView> {
    const batch = await this.store.getBatch(name);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${name}`);
    const jobs = (await this.store.getJobs(batch.jobNames)).filter((j): j is JobRecord => !!j);
    return toBatchView(batch, jobs, true);
  }

  /** `jobName` may be the full job name or its last part (the random suffix). */
  async getBatchJob(batchName: string, jobName: string): Promise<JobStatusView> {
    const record = await this.findBatchJob(batchName, jobName);
    return toJobView(record);
  }

  async findBatchJob(batchName: string, jobName: string): Promise<JobRecord> {
    const batch = await this.store.getBatch(batchName);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${batchName}`);
    const fullName = batch.jobNames.find((n) => n === jobName || n === `${batchName}-${jobName}`);
    const record = fullName ? await this.store.getJob(fullName) : undefined;
    if (!record) throw notFound(`job ${jobName} in the batch ${batchName}`);
    return record;
  }

  private pick(names: string[], byName: Map<string, JobRecord>): JobRecord[] {
    return names.map((n) => byName.get(n)).filter((j): j is JobRecord => !!j);
  }
}

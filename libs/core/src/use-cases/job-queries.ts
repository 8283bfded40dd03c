import { notFound } from '../errors';
import type { StatusStore } from '../ports';
import type { JobRecord } from '../records';
import { type JobStatusView, type StreamedBatchView, toJobView } from '../views';
import { type BatchAnswer, type ListAnswer, ListReading, type ListRequest } from './list-reading';

/** The read side of the API, served from the status records. Lists are read as they are written. */
export class JobQueries {
  private readonly lists: ListReading;

  constructor(private readonly store: StatusStore) {
    this.lists = new ListReading(store);
  }

  /** Single jobs, oldest first. */
  listJobs(request: ListRequest = {}): Promise<ListAnswer<JobStatusView>> {
    return this.lists.singleJobs(request);
  }

  /** Finds single and batch jobs. */
  async getJob(name: string): Promise<JobStatusView> {
    const record = await this.store.getJob(name);
    if (!record) throw notFound(`job ${name}`);
    return toJobView(record);
  }

  /** Batches, oldest first, each with all of its jobs. */
  listBatches(request: ListRequest = {}): Promise<ListAnswer<StreamedBatchView>> {
    return this.lists.batches(request);
  }

  /** A batch with its jobs; the request pages and filters the jobs. */
  async getBatch(name: string, request: ListRequest = {}): Promise<BatchAnswer> {
    const batch = await this.store.getBatch(name);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${name}`);
    return this.lists.batch(batch, request);
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
}

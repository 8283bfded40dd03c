import { notFound } from '../errors';
import type { StatusStore } from '../ports';
import type { BatchRecord, JobRecord } from '../records';
import type { BatchStatusRule } from '../batch-status';
import { type BatchStatusView, type JobStatusView, type StreamedBatchView, toBatchView, toJobView } from '../views';
import { type BatchAnswer, type ListAnswer, type ListPosition, ListReading, type ListRequest } from './list-reading';
import { JobStatus } from '../job-status';

/** A Waiting job in GET /queue. */
export interface QueueEntryView {
  name: string;
  batchName?: string;
  jobId?: string;
  priority: number;
  created: string;
  /** 1 launches next. */
  position: number;
}

export interface QueuePage {
  items: QueueEntryView[];
  next?: ListPosition;
}

/**
 * The read side of the API, served from the status records. Lists are read as they are written.
 * A batch's status follows the job component's batchStatusRules wherever a batch is shown.
 */
export class JobQueries {
  private readonly lists: ListReading;

  constructor(
    private readonly store: StatusStore,
    private readonly batchStatusRules: readonly BatchStatusRule[] = [],
  ) {
    this.lists = new ListReading(store, batchStatusRules);
  }

  /** A batch as the API shows it, e.g. one just accepted. */
  viewOfBatch(batch: BatchRecord, jobs: JobRecord[], withJobs = true): BatchStatusView {
    return toBatchView(batch, jobs, withJobs, this.batchStatusRules);
  }

  /** Single jobs, oldest first. */
  listJobs(request: ListRequest = {}): Promise<ListAnswer<JobStatusView>> {
    return this.lists.singleJobs(request);
  }

  /** Finds single and batch jobs; a Waiting one with its place in the launch order. */
  async getJob(name: string): Promise<JobStatusView> {
    return this.withQueuePosition(await this.findJob(name));
  }

  /** `queuePosition` costs one ZRANK, for Waiting jobs only. */
  private async withQueuePosition(record: JobRecord): Promise<JobStatusView> {
    const view = toJobView(record);
    if (record.status !== JobStatus.Waiting) return view;
    const position = await this.store.queuePosition(record.name);
    return position === undefined ? view : { ...view, queuePosition: position };
  }

  /**
   * A page of the Waiting jobs in launch order (priority, then arrival), after `after`. Each page
   * costs one ranged read of the index, one count for the first position and one read of its
   * records, however many jobs wait.
   */
  async listQueue(limit: number, after?: ListPosition): Promise<QueuePage> {
    const entries = await this.store.readIndex('waiting', after?.score === undefined ? undefined : { name: after.name, score: after.score }, limit + 1);
    const page = entries.slice(0, limit);
    if (page.length === 0) return { items: [] };
    const [before, records] = await Promise.all([this.store.countWaitingBefore(page[0].score), this.store.getJobs(page.map((entry) => entry.name))]);
    const items: QueueEntryView[] = [];
    records.forEach((record, i) => {
      if (!record) return;
      const item: QueueEntryView = { name: record.name, position: before + i + 1, priority: record.priority ?? 0, created: record.created };
      if (record.batchType === 'batch') item.batchName = record.batchName;
      if (record.jobId !== undefined) item.jobId = record.jobId;
      items.push(item);
    });
    const last = page[page.length - 1];
    return { items, next: entries.length > limit ? { name: last.name, score: last.score } : undefined };
  }

  /** The record of a single job or of a job of a batch. */
  async findJob(name: string): Promise<JobRecord> {
    const record = await this.store.getJob(name);
    if (!record) throw notFound(`job ${name}`);
    return record;
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

  /** `jobName` may be the full job name or its last part (the random suffix), in any case. */
  async getBatchJob(batchName: string, jobName: string): Promise<JobStatusView> {
    const record = await this.findBatchJob(batchName, jobName);
    return this.withQueuePosition(record);
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
}

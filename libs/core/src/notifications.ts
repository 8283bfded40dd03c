import { deriveBatchState, type JobState } from './batch-status';
import type { StatusStore } from './ports';
import type { BatchRecord, JobRecord } from './records';
import type { BatchStatusRule } from './batch-status';
import { type BatchStatusView, type JobStatusView, rulesOf, toBatchHeader, toJobView } from './views';

/** What a change did to a batch or job, as the original's webhook names it. */
export type NotificationEvent = 'Create' | 'Update' | 'Delete';

/** The batch fields an event keeps of its batch, for when the batch is gone by the time it is sent. */
export type BatchStub = Pick<BatchRecord, 'name' | 'batchId' | 'batchType' | 'created'>;

/**
 * One change as the store recorded it, in the same atomic step as the change: the job records as
 * written. A Create or Delete of a batch is one change of all its jobs.
 */
export interface RecordedChange {
  /** The events stream's entry id (SSE `id:`); absent for the webhook's own pending copy. */
  id?: string;
  event: NotificationEvent;
  batchName: string;
  /** When the change was recorded (ms since the epoch). */
  timeMs: number;
  batch?: BatchStub;
  jobs: JobRecord[];
}

/**
 * The webhook body and the SSE event: the batch status the API serves (its own fields as the batch
 * stands when sent), plus `event` and `jobStatuses` holding only the jobs the event is about, each as
 * recorded by the change. Single jobs come as their batch of type `job`, as in the original.
 */
export type NotificationDocument = Omit<BatchStatusView, 'jobStatuses'> & { event: NotificationEvent; jobStatuses: JobStatusView[] };

/** A webhook delivery: transitions of one batch, of one event type, in the order they were recorded. */
export interface Delivery {
  id: string;
  batchName: string;
  event: NotificationEvent;
  /** When the delivery was opened (ms); with the oldest change's time, what the lag metric measures. */
  openedMs: number;
  changes: RecordedChange[];
}

/**
 * What is owed to the webhook, recorded by the status store with each change (only when a webhook
 * is configured). At most one delivery per batch is open at a time.
 */
export interface NotificationOutbox {
  /** Batches with transitions owed whose time to look at has come, at most `limit`. */
  dueBatches(nowMs: number, limit: number): Promise<string[]>;
  /** The open delivery of the batch, else the next one if its coalescing window has passed, else undefined. */
  openDelivery(batchName: string, nowMs: number): Promise<Delivery | undefined>;
  /** The open delivery `id` of the batch; undefined once it has ended. */
  getDelivery(batchName: string, id: string): Promise<Delivery | undefined>;
  /** Ends the open delivery `id`; false when it was not open (ended by another worker). */
  closeDelivery(batchName: string, id: string, nowMs: number): Promise<boolean>;
  /** How many batches have transitions owed to the webhook. */
  backlog(): Promise<number>;
}

/** The events stream (SSE): every change, trimmed to a configured length. */
export interface EventLog {
  /** Up to `count` changes recorded after the entry `afterId` ('0' = from the oldest kept). */
  readAfter(afterId: string, count: number): Promise<RecordedChange[]>;
  /** Waits up to `blockMs` for changes after `afterId` (needs a connection of its own). */
  waitAfter(afterId: string, count: number, blockMs: number): Promise<RecordedChange[]>;
  /** The id of the latest entry, '0-0' when there is none. */
  latestId(): Promise<string>;
  /** The id of the oldest entry kept, undefined when there is none: a client resuming from before it may have missed some. */
  oldestId(): Promise<string | undefined>;
}

/**
 * Builds NotificationDocuments. The batch's own fields come from the store (the batch as it is when
 * sent, derived from all its jobs as the API derives it); a batch gone (deleted) is shown from what
 * the change kept of it.
 */
export class NotificationComposer {
  constructor(
    private readonly store: StatusStore,
    private readonly batchStatusRules: readonly BatchStatusRule[] = [],
  ) {}

  /**
   * `headers` caches batch headers for one round of documents (many changes of one batch read its
   * state once).
   */
  async compose(event: NotificationEvent, batchName: string, jobs: JobRecord[], stub: BatchStub | undefined, headers = new Map<string, Omit<BatchStatusView, 'jobStatuses'>>()): Promise<NotificationDocument> {
    let header = event === 'Delete' ? undefined : headers.get(batchName);
    if (!header) {
      header = event === 'Delete' ? undefined : await this.currentHeader(batchName);
      header ??= this.goneHeader(batchName, jobs, stub);
      if (event !== 'Delete') headers.set(batchName, header);
    }
    return { ...header, event, jobStatuses: jobs.map(toJobView) };
  }

  private async currentHeader(batchName: string): Promise<Omit<BatchStatusView, 'jobStatuses'> | undefined> {
    const batch = await this.store.getBatch(batchName);
    if (!batch) return undefined;
    const states = (await this.store.getJobStates(batch.jobNames)).filter((s): s is JobState => s !== undefined);
    return toBatchHeader(batch, deriveBatchState(states, rulesOf(batch, this.batchStatusRules)));
  }

  /** The batch from the stub the change kept (or its jobs), its state from the jobs of the change. */
  private goneHeader(batchName: string, jobs: JobRecord[], stub: BatchStub | undefined): Omit<BatchStatusView, 'jobStatuses'> {
    const first = jobs[0];
    const batch: BatchRecord = {
      name: batchName,
      batchId: stub?.batchId,
      batchType: stub?.batchType ?? first?.batchType ?? 'batch',
      created: stub?.created ?? first?.created ?? '',
      jobNames: [],
    };
    return toBatchHeader(batch, deriveBatchState(jobs, rulesOf(batch, this.batchStatusRules)));
  }
}

import { type BatchStatusRule, type DerivedBatchState, deriveBatchState } from './batch-status';
import type { BatchStatus, JobStatus } from './job-status';
import type { BatchRecord, JobRecord, PodStatus } from './records';

/** JobStatus of the Radix API (the original's OpenAPI definition, less DeploymentName). */
export interface JobStatusView {
  name: string;
  jobId?: string;
  batchName?: string;
  created: string;
  started?: string;
  ended?: string;
  updated?: string;
  status: JobStatus;
  message?: string;
  failed: number;
  /** When the job was last restarted. */
  restart?: string;
  podStatuses: PodStatus[];
  /** Extra field: the priority when one was set. */
  priority?: number;
  /** Extra field: a Waiting job's place in the launch order (1 = next), when asked for. */
  queuePosition?: number;
}

/** BatchStatus of the Radix API. */
export interface BatchStatusView {
  name: string;
  batchName: string;
  batchId?: string;
  batchType: 'batch' | 'job';
  created: string;
  started?: string;
  ended?: string;
  updated?: string;
  status: BatchStatus;
  message?: string;
  jobStatuses?: JobStatusView[];
}

export function toJobView(record: JobRecord): JobStatusView {
  const view: JobStatusView = {
    name: record.name,
    jobId: record.jobId,
    // A single job's batch is an implementation detail, as in the original.
    batchName: record.batchType === 'batch' ? record.batchName : undefined,
    created: record.created,
    started: record.started,
    ended: record.ended,
    updated: record.updated,
    status: record.status,
    message: record.message,
    failed: record.failed,
    restart: record.restart,
    podStatuses: record.podStatuses,
    priority: record.priority,
  };
  return dropUndefined(view);
}

/**
 * A batch answer whose jobs are read from the store while it is written, a chunk at a time; the
 * batch's own fields come first (`jobStatuses` is the last field of a BatchStatus).
 */
export interface StreamedBatchView {
  batch: Omit<BatchStatusView, 'jobStatuses'>;
  jobStatuses: AsyncIterable<JobStatusView[]>;
}

/**
 * `rules` are the job component's batchStatusRules. As in the original they apply to batches only:
 * a single job's batch has its job's status by the built-in rules.
 */
export function toBatchView(batch: BatchRecord, jobs: JobRecord[], withJobs: boolean, rules: readonly BatchStatusRule[] = []): BatchStatusView {
  const view: BatchStatusView = toBatchHeader(batch, deriveBatchState(jobs, rulesOf(batch, rules)));
  if (withJobs) view.jobStatuses = jobs.map(toJobView);
  return view;
}

/** The batchStatusRules that apply to a batch: none to a single job's. */
export function rulesOf(batch: BatchRecord, rules: readonly BatchStatusRule[]): readonly BatchStatusRule[] {
  return batch.batchType === 'batch' ? rules : [];
}

/** A BatchStatus without `jobStatuses`, from the state derived from all of its jobs. */
export function toBatchHeader(batch: BatchRecord, state: DerivedBatchState): Omit<BatchStatusView, 'jobStatuses'> {
  return dropUndefined({
    name: batch.name,
    batchName: batch.name,
    batchId: batch.batchId,
    batchType: batch.batchType,
    created: batch.created,
    started: state.started,
    ended: state.ended,
    updated: state.updated,
    status: state.status,
  });
}

/**
 * A copy without the undefined fields, in the same order. Copied rather than deleted in place: an
 * object that loses properties becomes a slow dictionary, which costs every list answer twice
 * (building and serializing 100,000 views); and copied by `for...in`, which allocates nothing per
 * field, unlike Object.entries.
 */
function dropUndefined<T extends object>(value: T): T {
  const defined = {} as T;
  for (const key in value) if (value[key] !== undefined) defined[key] = value[key];
  return defined;
}

import { type BatchStatusRule, deriveBatchState } from './batch-status';
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
  };
  return dropUndefined(view);
}

/**
 * `rules` are the job component's batchStatusRules. As in the original they apply to batches only:
 * a single job's batch has its job's status by the built-in rules.
 */
export function toBatchView(batch: BatchRecord, jobs: JobRecord[], withJobs: boolean, rules: readonly BatchStatusRule[] = []): BatchStatusView {
  const state = deriveBatchState(jobs, batch.batchType === 'batch' ? rules : []);
  const view: BatchStatusView = {
    name: batch.name,
    batchName: batch.name,
    batchId: batch.batchId,
    batchType: batch.batchType,
    created: batch.created,
    started: state.started,
    ended: state.ended,
    updated: state.updated,
    status: state.status,
    jobStatuses: withJobs ? jobs.map(toJobView) : undefined,
  };
  return dropUndefined(view);
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

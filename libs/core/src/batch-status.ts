import { type BatchStatus, isFinal, JobStatus } from './job-status';
import type { JobRecord } from './records';

export interface DerivedBatchState {
  status: BatchStatus;
  started?: string;
  ended?: string;
  updated?: string;
}

/**
 * One entry of a job component's `batchStatusRules` (radixconfig.yaml): when the batch's job
 * statuses meet the condition, the batch has `batchStatus`. All: every job's status is In (or
 * NotIn) `jobStatuses`; Any: at least one job's is.
 */
export interface BatchStatusRule {
  condition: 'All' | 'Any';
  operator: 'In' | 'NotIn';
  jobStatuses: JobStatus[];
  batchStatus: BatchStatus;
}

const max = (values: (string | undefined)[]) => values.filter((v): v is string => !!v).sort().at(-1);
const min = (values: (string | undefined)[]) => values.filter((v): v is string => !!v).sort()[0];

/** The batchStatus of the first rule the job statuses meet, in order; undefined when none does. */
export function statusByRules(rules: readonly BatchStatusRule[], statuses: readonly JobStatus[]): BatchStatus | undefined {
  for (const rule of rules) {
    const meets = (status: JobStatus) => rule.jobStatuses.includes(status) === (rule.operator === 'In');
    if (rule.condition === 'All' ? statuses.every(meets) : statuses.some(meets)) return rule.batchStatus;
  }
  return undefined;
}

/**
 * Batch status from its jobs (BEHAVIOUR.md): the first of `rules` that matches, else the built-in
 * rules: Waiting while every job waits; Stopping while a stop is in progress; Running while any job
 * is not final; once all are final: Failed if any failed, else Stopped if any was stopped, else
 * Succeeded. The times always come from the jobs: `ended` is set once every job is final.
 */
export function deriveBatchState(
  jobs: Pick<JobRecord, 'status' | 'started' | 'ended' | 'updated'>[],
  rules: readonly BatchStatusRule[] = [],
): DerivedBatchState {
  const statuses = jobs.map((j) => j.status);
  const state = builtInState(jobs, statuses);
  const ruled = statusByRules(rules, statuses);
  return ruled ? { ...state, status: ruled } : state;
}

function builtInState(jobs: Pick<JobRecord, 'started' | 'ended' | 'updated'>[], statuses: JobStatus[]): DerivedBatchState {
  const started = min(jobs.map((j) => j.started));
  const updated = max(jobs.map((j) => j.updated));
  if (statuses.length && statuses.every(isFinal)) {
    const status = statuses.includes(JobStatus.Failed)
      ? JobStatus.Failed
      : statuses.includes(JobStatus.Stopped)
        ? JobStatus.Stopped
        : JobStatus.Succeeded;
    return { status, started, ended: max(jobs.map((j) => j.ended)), updated };
  }
  if (statuses.includes(JobStatus.Stopping)) return { status: JobStatus.Stopping, started, updated };
  if (statuses.every((s) => s === JobStatus.Waiting)) return { status: JobStatus.Waiting, started, updated };
  return { status: JobStatus.Running, started, updated };
}

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

/** What a batch's own state is derived from, of each of its jobs. */
export type JobState = Pick<JobRecord, 'status' | 'started' | 'ended' | 'updated'>;

/** RFC3339 UTC timestamps of one format compare as strings. */
const earlier = (a: string | undefined, b: string | undefined) => (b && (a === undefined || b < a) ? b : a);
const later = (a: string | undefined, b: string | undefined) => (b && (a === undefined || b > a) ? b : a);

/**
 * The batchStatus of the first rule the job statuses meet, in order; undefined when none does.
 * Every and some hold of the distinct statuses as of all of them, so these may be either.
 */
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
 *
 * Jobs are added one at a time, so a batch of any size is summed up while its records are read in
 * chunks, without holding them all.
 */
export class BatchStateTally {
  private jobs = 0;
  private final = 0;
  private readonly statuses = new Set<JobStatus>();
  private started?: string;
  private ended?: string;
  private updated?: string;

  constructor(private readonly rules: readonly BatchStatusRule[] = []) {}

  add(job: JobState): void {
    this.jobs++;
    if (isFinal(job.status)) this.final++;
    this.statuses.add(job.status);
    this.started = earlier(this.started, job.started);
    this.ended = later(this.ended, job.ended);
    this.updated = later(this.updated, job.updated);
  }

  result(): DerivedBatchState {
    const state = this.builtInState();
    const ruled = statusByRules(this.rules, [...this.statuses]);
    return ruled ? { ...state, status: ruled } : state;
  }

  private builtInState(): DerivedBatchState {
    const { started, updated, statuses } = this;
    if (this.jobs > 0 && this.final === this.jobs) {
      const status = statuses.has(JobStatus.Failed) ? JobStatus.Failed : statuses.has(JobStatus.Stopped) ? JobStatus.Stopped : JobStatus.Succeeded;
      return { status, started, ended: this.ended, updated };
    }
    if (statuses.has(JobStatus.Stopping)) return { status: JobStatus.Stopping, started, updated };
    if (statuses.size === 0 || (statuses.size === 1 && statuses.has(JobStatus.Waiting))) return { status: JobStatus.Waiting, started, updated };
    return { status: JobStatus.Running, started, updated };
  }
}

export function deriveBatchState(jobs: Iterable<JobState>, rules: readonly BatchStatusRule[] = []): DerivedBatchState {
  const tally = new BatchStateTally(rules);
  for (const job of jobs) tally.add(job);
  return tally.result();
}

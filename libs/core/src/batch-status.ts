import { type BatchStatus, isFinal, JobStatus } from './job-status';
import type { JobRecord } from './records';

export interface DerivedBatchState {
  status: BatchStatus;
  started?: string;
  ended?: string;
  updated?: string;
}

/** What a batch's own state is derived from, of each of its jobs. */
export type JobState = Pick<JobRecord, 'status' | 'started' | 'ended' | 'updated'>;

/** RFC3339 UTC timestamps of one format compare as strings. */
const earlier = (a: string | undefined, b: string | undefined) => (b && (a === undefined || b < a) ? b : a);
const later = (a: string | undefined, b: string | undefined) => (b && (a === undefined || b > a) ? b : a);

/**
 * Batch status from its jobs (BEHAVIOUR.md): Waiting while every job waits; Stopping while a stop is
 * in progress; Running while any job is not final; once all are final: Failed if any failed, else
 * Stopped if any was stopped, else Succeeded.
 *
 * Jobs are added one at a time, so a batch of any size is summed up while its records are read in
 * chunks, without holding them all.
 */
export class BatchStateTally {
  private jobs = 0;
  private final = 0;
  private waiting = 0;
  private failed = false;
  private stopped = false;
  private stopping = false;
  private started?: string;
  private ended?: string;
  private updated?: string;

  add(job: JobState): void {
    this.jobs++;
    if (isFinal(job.status)) this.final++;
    if (job.status === JobStatus.Waiting) this.waiting++;
    if (job.status === JobStatus.Failed) this.failed = true;
    if (job.status === JobStatus.Stopped) this.stopped = true;
    if (job.status === JobStatus.Stopping) this.stopping = true;
    this.started = earlier(this.started, job.started);
    this.ended = later(this.ended, job.ended);
    this.updated = later(this.updated, job.updated);
  }

  result(): DerivedBatchState {
    const { started, updated } = this;
    if (this.jobs > 0 && this.final === this.jobs) {
      const status = this.failed ? JobStatus.Failed : this.stopped ? JobStatus.Stopped : JobStatus.Succeeded;
      return { status, started, ended: this.ended, updated };
    }
    if (this.stopping) return { status: JobStatus.Stopping, started, updated };
    if (this.waiting === this.jobs) return { status: JobStatus.Waiting, started, updated };
    return { status: JobStatus.Running, started, updated };
  }
}

export function deriveBatchState(jobs: Iterable<JobState>): DerivedBatchState {
  const tally = new BatchStateTally();
  for (const job of jobs) tally.add(job);
  return tally.result();
}

import { type BatchStatus, isFinal, JobStatus } from './job-status';
import type { JobRecord } from './records';

export interface DerivedBatchState {
  status: BatchStatus;
  started?: string;
  ended?: string;
  updated?: string;
}

const max = (values: (string | undefined)[]) => values.filter((v): v is string => !!v).sort().at(-1);
const min = (values: (string | undefined)[]) => values.filter((v): v is string => !!v).sort()[0];

/**
 * Batch status from its jobs (BEHAVIOUR.md): Waiting while every job waits; Stopping while a stop is
 * in progress; Running while any job is not final; once all are final: Failed if any failed, else
 * Stopped if any was stopped, else Succeeded.
 */
export function deriveBatchState(jobs: Pick<JobRecord, 'status' | 'started' | 'ended' | 'updated'>[]): DerivedBatchState {
  const started = min(jobs.map((j) => j.started));
  const updated = max(jobs.map((j) => j.updated));
  const statuses = jobs.map((j) => j.status);
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

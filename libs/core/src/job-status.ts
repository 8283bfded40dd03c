/** Job status values, spelled as the Radix API spells them. */
export const JobStatus = {
  Waiting: 'Waiting',
  Active: 'Active',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Batch status values; a batch never reports Active. */
export type BatchStatus = Exclude<JobStatus, 'Active'>;

/** Every job status, in the order of their definition (as the API documents them). */
export const JOB_STATUSES: readonly JobStatus[] = Object.values(JobStatus);
export const BATCH_STATUSES: readonly BatchStatus[] = JOB_STATUSES.filter((s): s is BatchStatus => s !== JobStatus.Active);

const FINAL: ReadonlySet<JobStatus> = new Set<JobStatus>([JobStatus.Succeeded, JobStatus.Failed, JobStatus.Stopped]);

/** A final status never changes again. */
export function isFinal(status: JobStatus): boolean {
  return FINAL.has(status);
}

/** Status of one attempt (pod or local process), as in the original's ReplicaStatus. */
export const ReplicaStatus = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Stopped: 'Stopped',
} as const;
export type ReplicaStatus = (typeof ReplicaStatus)[keyof typeof ReplicaStatus];

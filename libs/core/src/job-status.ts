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

/**
 * Batch status values, as the original's enum has them: a job's, plus Completed. The built-in rules
 * never give Active or Completed; a job component's batchStatusRules may give any of them.
 */
export const BatchStatus = { ...JobStatus, Completed: 'Completed' } as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

/** Every job status and every batch status, in the order of their definition (as the API documents them). */
export const JOB_STATUSES: readonly JobStatus[] = Object.values(JobStatus);
export const BATCH_STATUSES: readonly BatchStatus[] = Object.values(BatchStatus);

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

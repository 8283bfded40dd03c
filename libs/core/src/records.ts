import type { BatchType, ResolvedJob } from './job-spec';
import type { JobStatus, ReplicaStatus } from './job-status';

/** One attempt of a job: a pod in Kubernetes, a child process locally. */
export interface PodStatus {
  name: string;
  podIndex?: number;
  created?: string;
  startTime?: string;
  containerStarted?: string;
  endTime?: string;
  replicaStatus: { status: ReplicaStatus };
  image?: string;
  imageId?: string;
  exitCode?: number;
  reason?: string;
  statusMessage?: string;
  restartCount?: number;
}

/** The status record of one job, as stored. Timestamps are RFC3339 UTC; unset ones are absent. */
export interface JobRecord {
  name: string;
  jobId?: string;
  batchName: string;
  batchType: BatchType;
  created: string;
  updated: string;
  started?: string;
  ended?: string;
  status: JobStatus;
  message?: string;
  /** How many attempts failed. */
  failed: number;
  podStatuses: PodStatus[];
  /** Set when the job's current run reached a runtime; stop and delete then need the worker. */
  launched?: boolean;
  /**
   * Which run of the job this record follows: absent (0) for the first, one more on each restart.
   * Runtime objects and observations carry it; an observation of another run changes nothing.
   */
  generation?: number;
  /** When the job was last restarted (RFC3339), as the original's JobStatus has it. */
  restart?: string;
  /** The job's priority when one was set on any layer (job-spec.ts); never changes after acceptance. */
  priority?: number;
}

/** The run of a job that work and observations are about; absent generations are the first run (0). */
export interface JobRun {
  name: string;
  generation: number;
  /** The launch queue orders launches by it (absent: 0); only launch work uses it. */
  priority?: number;
}

/** The generation of a record, an observation or a resolved job: 0 when absent (the first run). */
export function generationOf(subject: { generation?: number }): number {
  return subject.generation ?? 0;
}

/** The run a record is at. */
export function runOf(record: JobRecord): JobRun {
  const run: JobRun = { name: record.name, generation: generationOf(record) };
  if (record.priority !== undefined) run.priority = record.priority;
  return run;
}

/** The record of a batch (single jobs have one too, of type `job`); its status is derived from its jobs. */
export interface BatchRecord {
  name: string;
  batchId?: string;
  batchType: BatchType;
  created: string;
  jobNames: string[];
}

/** Everything one accepted request writes, in one atomic step. */
export interface NewBatch {
  batch: BatchRecord;
  jobs: { record: JobRecord; spec: ResolvedJob; payload?: string }[];
}

/** RFC3339 in UTC with second precision, as the original returns it. */
/** The last second formatted: accepting at thousands of requests a second formats the same one again and again. */
let formattedSecond = NaN;
let formatted = '';

export function rfc3339(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== formattedSecond) {
    formatted = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
    formattedSecond = second;
  }
  return formatted;
}

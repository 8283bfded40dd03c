/**
 * Queue names and work payloads: a wire contract between the API and the workers (and the KEDA
 * scaler in k8s/components/keda, which reads the launch queue's wait list). Renaming a queue or a
 * field strands the work already queued under the old name: it needs a migration.
 */
export const launchQueueName = (component: string) => `rjs-${component}-launch`;
export const controlQueueName = (component: string) => `rjs-${component}-control`;

/**
 * Launch work for one run of a job; the BullMQ job id is the job name (and the run), so
 * enqueueing twice adds it once, and a restart's new run is queued even while BullMQ still keeps
 * the work of an earlier run.
 */
export interface LaunchWork {
  jobName: string;
  /** The run to launch (JobRecord.generation); absent for the first (0), as work queued before restarts existed. */
  generation?: number;
  /** Set by the worker at the first failed launch (ms since the epoch): the give-up time counts from here. */
  failingSince?: number;
}

/** The backoff type of launch work: the workers compute its delays (a custom BullMQ backoff strategy). */
export const LAUNCH_BACKOFF_TYPE = 'launch-retry';

export type ControlAction = 'stop' | 'remove';

/** Stop or remove work for a job that reached a runtime. */
export interface ControlWork {
  action: ControlAction;
  jobName: string;
  /** The run a stop is for (absent: the first); it keeps a restarted job's stop apart from an earlier run's. */
  generation?: number;
}

/** The first run keeps the ids of work queued before restarts existed; later runs add `.run-<n>` (BullMQ ids must not hold ':'). */
const runSuffix = (generation: number) => (generation > 0 ? `.run-${generation}` : '');
export const launchJobId = (jobName: string, generation = 0) => `${jobName}${runSuffix(generation)}`;
export const controlJobId = (action: ControlAction, jobName: string, generation = 0) => `${action}-${jobName}${runSuffix(generation)}`;

/**
 * Queue names and work payloads: a wire contract between the API and the workers (and the KEDA
 * scaler in k8s/components/keda, which reads the launch queue's wait list). Renaming a queue or a
 * field strands the work already queued under the old name: it needs a migration.
 */
export const launchQueueName = (component: string) => `rjs-${component}-launch`;
export const controlQueueName = (component: string) => `rjs-${component}-control`;

/** Launch work; the BullMQ job id is the job name, so enqueueing twice adds it once. */
export interface LaunchWork {
  jobName: string;
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
}

export const launchJobId = (jobName: string) => jobName;
export const controlJobId = (action: ControlAction, jobName: string) => `${action}-${jobName}`;

/**
 * Queue names and work payloads: a wire contract between the API and the workers (and the KEDA
 * scaler in k8s/components/keda, which reads the launch queue's wait list). Renaming a queue or a
 * field strands the work already queued under the old name: it needs a migration.
 */
export const launchQueueName = (component: string) => `rjs-${component}-launch`;
export const controlQueueName = (component: string) => `rjs-${component}-control`;
/** Hand-offs from the API: each entry names jobs accepted together, which a worker queues as launch work. */
export const dispatchQueueName = (component: string) => `rjs-${component}-dispatch`;

/**
 * The BullMQ prefix of a component's queues (every Queue, Worker and Bull Board of it must use it):
 * keys read `bull:{<component>}:rjs-<component>-launch:wait`. The hash tag `{<component>}` is that
 * of the status store's keys (RedisKeys), so on a Redis Cluster BullMQ's multi-key scripts run in
 * one slot, as BullMQ documents for clusters. Before it the prefix was BullMQ's default, `bull`.
 */
export const queuePrefix = (component: string) => `bull:{${component}}`;

/** The layout before hash tags: read only by the key migration. */
export const LEGACY_QUEUE_PREFIX = 'bull';

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

/**
 * One hand-off of the API's: the jobs it accepted since its last one (at most one per 5 ms:
 * LaunchDispatch). A worker reads their records and queues launch work for each that still waits
 * (DispatchExpansion), with the hand-off's time as the work's timestamp.
 */
export interface DispatchWork {
  jobNames: string[];
}

/** The backoff type of launch work: the workers compute its delays (a custom BullMQ backoff strategy). */
export const LAUNCH_BACKOFF_TYPE = 'launch-retry';

/** The backoff type of stop and remove work: the workers compute its delays too. */
export const CONTROL_BACKOFF_TYPE = 'control-retry';

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

/** Webhook deliveries (notifications): failed work here is the dead letter of a delivery given up after 24 h. */
export const notificationQueueName = (component: string) => `rjs-${component}-notifications`;

/** One webhook delivery: its transitions stay in Redis (the notification outbox) until it ends. */
export interface DeliveryWork {
  batchName: string;
  deliveryId: string;
}

/** The backoff type of deliveries: the workers compute its delays (capped, until the give-up time). */
export const DELIVERY_BACKOFF_TYPE = 'delivery-retry';

/** Queueing a delivery again (after a crash, a lease) adds it once. */
export const deliveryJobId = (deliveryId: string) => `delivery-${deliveryId}`;

/**
 * BullMQ priority of a job priority (0..1000, higher first). BullMQ takes its plain wait list
 * (priority 0) before every prioritized job, so every launch is prioritized: 1000 -> 1 (BullMQ's
 * highest) ... 0 -> 1001. Equal priorities keep arrival order (BullMQ scores them with a counter),
 * so a component that sets no priorities launches in arrival order as before. Work queued before
 * priorities existed sits in the wait list and goes first.
 */
export const bullPriority = (priority = 0) => 1001 - priority;

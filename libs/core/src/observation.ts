import type { PodStatus } from './records';

/**
 * What a runtime reports about a job. Every runtime (local processes, the Kubernetes watcher)
 * speaks this vocabulary; one use case applies it through the transition table.
 */
export type Observation =
  /** The runtime object exists but no container runs yet (scheduling, image pull, between attempts). */
  | { kind: 'active'; at: string; podStatuses?: PodStatus[] }
  /** A container runs. */
  | { kind: 'running'; at: string; podStatuses?: PodStatus[] }
  | { kind: 'succeeded'; at: string; podStatuses?: PodStatus[] }
  | { kind: 'failed'; at: string; reason?: string; message: string; podStatuses?: PodStatus[] }
  /** The runtime ended the job on request. */
  | { kind: 'stopped'; at: string; podStatuses?: PodStatus[] };

export type ObservationKind = Observation['kind'];

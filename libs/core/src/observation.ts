import type { PodStatus } from './records';

/** What every observation carries: when, which run (absent: the first, 0), and the run's attempts. */
interface ObservationBase {
  at: string;
  /** The run observed (JobRecord.generation); the runtime object carries it. */
  generation?: number;
  podStatuses?: PodStatus[];
}

/**
 * What a runtime reports about a job. Every runtime (local processes, the Kubernetes watcher)
 * speaks this vocabulary; one use case applies it through the transition table.
 */
export type Observation =
  /** The runtime object exists but no container runs yet (scheduling, image pull, between attempts). */
  | ({ kind: 'active' } & ObservationBase)
  /** A container runs. */
  | ({ kind: 'running' } & ObservationBase)
  | ({ kind: 'succeeded' } & ObservationBase)
  | ({ kind: 'failed'; reason?: string; message: string } & ObservationBase)
  /** The runtime ended the job on request. */
  | ({ kind: 'stopped' } & ObservationBase);

export type ObservationKind = Observation['kind'];

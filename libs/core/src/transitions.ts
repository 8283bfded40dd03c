import { isFinal, JobStatus, ReplicaStatus } from './job-status';
import type { Observation } from './observation';
import { generationOf, type JobRecord, type PodStatus } from './records';

/**
 * The status transition table: which status an observation moves a job to, from each status.
 * `undefined` means the observation does not move the status (it may still add pod details).
 * Final statuses never move on an observation. Stopping only ends; it never goes back to Active or
 * Running. An observation applies only to the run (generation) it was made of.
 */
const TABLE: Record<JobStatus, Partial<Record<Observation['kind'], JobStatus>>> = {
  Waiting: { active: 'Active', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', stopped: 'Stopped' },
  Active: { running: 'Running', succeeded: 'Succeeded', failed: 'Failed', stopped: 'Stopped' },
  // Running -> Active: an attempt ended and the next one waits for its container.
  Running: { active: 'Active', succeeded: 'Succeeded', failed: 'Failed', stopped: 'Stopped' },
  Stopping: { succeeded: 'Succeeded', failed: 'Failed', stopped: 'Stopped' },
  Succeeded: {},
  Failed: {},
  Stopped: {},
};

export function nextStatus(current: JobStatus, observation: Observation): JobStatus | undefined {
  return TABLE[current][observation.kind];
}

/**
 * A restart, the only way a final status is left: from each status, the status of the new run
 * (a new generation, launched again from the stored spec and payload), or `undefined` where a
 * restart is refused. Stopping is refused: the stop under way would end the new run too, so the
 * caller is told to restart once the job is Stopped.
 */
const RESTART: Record<JobStatus, JobStatus | undefined> = {
  Waiting: 'Waiting',
  Active: 'Waiting',
  Running: 'Waiting',
  Stopping: undefined,
  Succeeded: 'Waiting',
  Failed: 'Waiting',
  Stopped: 'Waiting',
};

export function canRestart(status: JobStatus): boolean {
  return RESTART[status] !== undefined;
}

/**
 * Starts a new run of the job: the next generation, Waiting, `restart` set. The earlier runs'
 * attempts stay in `podStatuses` (the new run's come after them) and count in `failed`; one that
 * had not ended is Stopped now, for the restart ends it and what its runtime then reports belongs
 * to the earlier run, which is ignored. What described the earlier run (started, ended, message,
 * launched) goes. `undefined` when refused.
 */
export function restartRun(record: JobRecord, at: string): JobRecord | undefined {
  const status = RESTART[record.status];
  if (!status) return undefined;
  const { started: _started, ended: _ended, message: _message, launched: _launched, ...kept } = record;
  const podStatuses = record.podStatuses.map((pod) => (hasEnded(pod) ? pod : { ...pod, endTime: pod.endTime ?? at, replicaStatus: { status: ReplicaStatus.Stopped } }));
  return { ...kept, status, podStatuses, generation: generationOf(record) + 1, restart: at, updated: at };
}

const hasEnded = (pod: PodStatus) => ([ReplicaStatus.Succeeded, ReplicaStatus.Failed, ReplicaStatus.Stopped] as string[]).includes(pod.replicaStatus.status);

/** Pod statuses merge by name, in the order first seen; a later report of the same pod replaces it. */
export function mergePodStatuses(current: PodStatus[], reported: PodStatus[] | undefined): PodStatus[] {
  if (!reported?.length) return current;
  const merged = [...current];
  for (const pod of reported) {
    const i = merged.findIndex((p) => p.name === pod.name);
    if (i >= 0) merged[i] = { ...merged[i], ...pod };
    else merged.push(pod);
  }
  return merged.map((p, index) => ({ ...p, podIndex: index }));
}

function countFailed(pods: PodStatus[]): number {
  return pods.filter((p) => p.replicaStatus.status === 'Failed').length;
}

/**
 * Applies an observation to a record. Returns the new record, or `undefined` when nothing changes
 * (a replayed observation, or one that the current status does not accept).
 */
export function applyObservation(record: JobRecord, observation: Observation): JobRecord | undefined {
  // A late report of an earlier run (a watch event, a dying process) must not touch a restarted job.
  if (generationOf(observation) !== generationOf(record)) return undefined;
  if (isFinal(record.status)) return undefined;
  const status = nextStatus(record.status, observation) ?? record.status;
  const podStatuses = mergePodStatuses(record.podStatuses, observation.podStatuses);
  const next: JobRecord = { ...record, status, podStatuses, failed: Math.max(record.failed, countFailed(podStatuses)) };
  if (status !== JobStatus.Waiting) next.launched = true;
  if (!next.started) {
    // started: when a container of this run first ran; a runtime may report it only after the fact
    // (a quick job). The observation carries the run's attempts only, not those of earlier runs.
    const firstContainerStart = (observation.podStatuses ?? []).map((p) => p.containerStarted).filter(Boolean).sort()[0];
    if (firstContainerStart) next.started = firstContainerStart;
    else if (status === JobStatus.Running) next.started = observation.at;
  }
  if (isFinal(status)) {
    next.ended = observation.at;
    if (observation.kind === 'failed') next.message = observation.message;
    if (observation.kind === 'stopped' && !next.message) next.message = 'job was stopped';
  }
  if (JSON.stringify({ ...next, updated: '' }) === JSON.stringify({ ...record, updated: '' })) return undefined;
  next.updated = observation.at;
  return next;
}

/**
 * Stop requested: a job not yet launched stops at once; a launched one is Stopping until the
 * runtime confirms. So is a restarted job not yet launched again: its earlier run may still be in
 * the runtime (the new run's launch ends it), and only a worker can end it.
 */
export function requestStop(record: JobRecord, at: string): JobRecord | undefined {
  if (isFinal(record.status) || record.status === JobStatus.Stopping) return undefined;
  if (record.status === JobStatus.Waiting && !record.launched && generationOf(record) === 0) {
    return { ...record, status: JobStatus.Stopped, ended: at, updated: at, message: 'job was stopped before it started' };
  }
  return { ...record, status: JobStatus.Stopping, updated: at };
}

/**
 * The runtime now holds run `generation` of the job. Waiting moves to Active; a job that already
 * moved on keeps its status. A final record, or one restarted since, is left alone: the caller
 * must undo the launch if the job was stopped.
 */
export function markLaunched(record: JobRecord, at: string, generation = 0): JobRecord | undefined {
  if (generationOf(record) !== generation || isFinal(record.status) || record.launched) return undefined;
  const status = record.status === JobStatus.Waiting ? JobStatus.Active : record.status;
  return { ...record, status, launched: true, updated: at };
}

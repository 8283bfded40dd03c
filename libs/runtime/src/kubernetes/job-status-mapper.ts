import type { V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { type Observation, type PodStatus, ReplicaStatus, rfc3339 } from '@rjs/core';
import { generationOfObject } from './labels';

/**
 * Where a Job's status is decided: one pure function from a Job and its pods to an Observation.
 *
 * Order of decisions: a Complete condition is success; a Failed condition is failure (with the
 * reason in words); otherwise a running container makes the job running; otherwise it is active
 * (scheduling, pulling the image, waiting for the payload volume, between attempts).
 * SuccessCriteriaMet and FailureTarget (added by recent Kubernetes before Complete/Failed while
 * pods still terminate) are not final here: waiting for Complete/Failed lets the last pod's exit
 * code and end time reach the record before it becomes final and stops changing.
 */

/** Lists and watch events carry raw JSON (RFC3339 strings); a Date is taken too (the client's deserialized objects). */
type Time = Date | string | undefined | null;

export function toTimestamp(time: Time): string | undefined {
  if (time === undefined || time === null || time === '') return undefined;
  const date = time instanceof Date ? time : new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : rfc3339(date);
}

/** The condition messages of the Job controller, said plainly; PodFailurePolicy names the exit code. */
export const FailureMessage = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
} as const;

function condition(job: V1Job, type: string): V1JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** True once Kubernetes declared the Job finished (Complete or Failed). */
export function isJobFinished(job: V1Job): boolean {
  return !!(condition(job, 'Complete') ?? condition(job, 'Failed'));
}

function mainContainerStatus(pod: V1Pod): V1ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  const name = pod.spec?.containers?.[0]?.name;
  return statuses.find((s) => s.name === name) ?? statuses[0];
}

function replicaStatusOf(pod: V1Pod, container: V1ContainerStatus | undefined): ReplicaStatus {
  const terminated = container?.state?.terminated;
  if (terminated) return terminated.exitCode === 0 ? ReplicaStatus.Succeeded : ReplicaStatus.Failed;
  if (container?.state?.running) return ReplicaStatus.Running;
  // A pod can fail without a container ever starting (evicted, deadline before start).
  if (pod.status?.phase === 'Succeeded') return ReplicaStatus.Succeeded;
  if (pod.status?.phase === 'Failed') return ReplicaStatus.Failed;
  return ReplicaStatus.Pending;
}

/** One attempt as the API reports it. Fields Kubernetes has not set yet are absent. */
export function podStatusOf(pod: V1Pod): PodStatus {
  const container = mainContainerStatus(pod);
  const state = container?.state;
  const status: PodStatus = { name: pod.metadata?.name ?? '', replicaStatus: { status: replicaStatusOf(pod, container) } };
  const fields: Partial<PodStatus> = {
    created: toTimestamp(pod.metadata?.creationTimestamp),
    startTime: toTimestamp(pod.status?.startTime),
    containerStarted: toTimestamp(state?.running?.startedAt ?? state?.terminated?.startedAt),
    endTime: toTimestamp(state?.terminated?.finishedAt),
    image: container?.image || pod.spec?.containers?.[0]?.image,
    imageId: container?.imageID || undefined,
    exitCode: state?.terminated?.exitCode,
    reason: state?.terminated?.reason || state?.waiting?.reason || pod.status?.reason || undefined,
    statusMessage: state?.terminated?.message || state?.waiting?.message || pod.status?.message || undefined,
    restartCount: container?.restartCount,
  };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (status as unknown as Record<string, unknown>)[key] = value;
  }
  return status;
}

const millis = (time: Time): number => (time ? new Date(time).getTime() || 0 : 0);

/**
 * Attempts in creation order. Kubernetes stamps creation to the second, so pods created within one
 * second keep the order they are given in (the runtime gives them in the order it first saw them).
 */
const createdOrder = (a: V1Pod, b: V1Pod): number => millis(a.metadata?.creationTimestamp) - millis(b.metadata?.creationTimestamp);

/** The attempt that ended last (by end time; among equal ones the one created last). */
function lastFailedAttempt(podStatuses: PodStatus[]): PodStatus | undefined {
  return podStatuses
    .filter((p) => p.replicaStatus.status === ReplicaStatus.Failed)
    .sort((a, b) => (a.endTime ?? '').localeCompare(b.endTime ?? ''))
    .at(-1);
}

/**
 * The failure reason in words, plus what the last failed attempt tells (out of memory). For a
 * failure policy match the exit code comes from the controller's message, which names the pod
 * that matched, else from the last failed attempt.
 */
export function failureMessage(failed: V1JobCondition, podStatuses: PodStatus[]): string {
  const lastFailed = lastFailedAttempt(podStatuses);
  let message: string;
  if (failed.reason === 'PodFailurePolicy') {
    const named = /exit code (\d+)/.exec(failed.message ?? '')?.[1];
    const exitCode = named !== undefined ? Number(named) : lastFailed?.exitCode;
    message =
      exitCode === undefined
        ? `Job failed: the failure policy matched (${failed.message ?? 'no details'})`
        : `Job failed: the failure policy matched exit code ${exitCode}`;
  } else {
    message = FailureMessage[failed.reason as keyof typeof FailureMessage] ?? (failed.message || failed.reason || 'Job failed');
  }
  if (lastFailed?.reason === 'OOMKilled') message += '; the container ran out of memory (OOMKilled)';
  return message;
}

/**
 * Maps a Job and its pods (those of the Job's run) to what the scheduler records, as of the Job's
 * run (its generation label). `now` stamps non-final observations.
 */
export function observeJob(job: V1Job, pods: readonly V1Pod[], now: Date): Observation {
  const podStatuses = [...pods].sort(createdOrder).map(podStatusOf);
  const generation = generationOfObject(job);
  const complete = condition(job, 'Complete');
  if (complete) {
    const at = toTimestamp(job.status?.completionTime) ?? toTimestamp(complete.lastTransitionTime) ?? rfc3339(now);
    return { kind: 'succeeded', at, generation, podStatuses };
  }
  const failed = condition(job, 'Failed');
  if (failed) {
    const at = toTimestamp(failed.lastTransitionTime) ?? rfc3339(now);
    return { kind: 'failed', at, generation, reason: failed.reason, message: failureMessage(failed, podStatuses), podStatuses };
  }
  const running = podStatuses.some((p) => p.replicaStatus.status === ReplicaStatus.Running);
  return { kind: running ? 'running' : 'active', at: rfc3339(now), generation, podStatuses };
}

/** Pod statuses for a job ended on request: attempts that had not ended count as stopped. */
export function stoppedPodStatuses(pods: readonly V1Pod[]): PodStatus[] {
  return [...pods].sort(createdOrder).map((pod) => {
    const status = podStatusOf(pod);
    const ended = status.replicaStatus.status === ReplicaStatus.Succeeded || status.replicaStatus.status === ReplicaStatus.Failed;
    return ended ? status : { ...status, replicaStatus: { status: ReplicaStatus.Stopped } };
  });
}

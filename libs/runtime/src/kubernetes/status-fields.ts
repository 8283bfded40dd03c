import type { V1ContainerStatus, V1Job, V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { LabelKey } from './labels';

/**
 * What the watcher's caches keep of each Job and Pod: the fields the status mapper
 * (job-status-mapper.ts) and the runtime's bookkeeping read, nothing else (client-go calls this a
 * transform; the client's informer has none). Applied as objects arrive, list pages and watch
 * events alike, so a whole object never outlives its arrival: the pod template of a Job, a pod's
 * spec beyond its first container's name and image, managed fields, volumes, env and the like are
 * most of an object's size. Whoever makes the mapper read a new field adds it here;
 * status-fields.spec.ts checks the mapper sees the same through both.
 */

/** The labels the runtime reads (labels.ts: isManagedBy, jobNameOf, generationOfObject), in one order. */
const KEPT_LABELS = [LabelKey.managedBy, LabelKey.component, LabelKey.jobName, LabelKey.generation] as const;

/**
 * One copy of each value that most objects share (the component, the manager, generation "0", the
 * image): JSON parsing makes a string per occurrence, 10,000 of each with 10,000 Jobs.
 */
const shared = new Map<string, string>();
const SHARED_MAX = 10_000;
function intern(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (shared.size < SHARED_MAX) shared.set(value, value);
  return value;
}

function labelsOf(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels) return undefined;
  const kept: Record<string, string> = {};
  for (const key of KEPT_LABELS) {
    const value = labels[key];
    if (value !== undefined) kept[key] = key === LabelKey.jobName ? value : intern(value)!;
  }
  return kept;
}

function metadataOf(metadata: V1ObjectMeta | undefined): V1ObjectMeta | undefined {
  if (!metadata) return undefined;
  return defined({
    name: metadata.name,
    uid: metadata.uid,
    resourceVersion: metadata.resourceVersion,
    labels: labelsOf(metadata.labels),
    creationTimestamp: metadata.creationTimestamp,
    deletionTimestamp: metadata.deletionTimestamp,
  });
}

export function jobStatusFields(job: V1Job): V1Job {
  const status = job.status;
  return defined({
    metadata: metadataOf(job.metadata),
    status: status
      ? defined({
          conditions: status.conditions?.map((c) =>
            defined({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime }),
          ),
          completionTime: status.completionTime,
        })
      : undefined,
  }) as V1Job;
}

function containerStatusFields(c: V1ContainerStatus): V1ContainerStatus {
  const state = c.state;
  return defined({
    name: intern(c.name),
    image: intern(c.image),
    imageID: intern(c.imageID),
    restartCount: c.restartCount,
    ready: c.ready,
    state: state
      ? defined({
          running: state.running ? defined({ startedAt: state.running.startedAt }) : undefined,
          terminated: state.terminated
            ? defined({
                exitCode: state.terminated.exitCode,
                startedAt: state.terminated.startedAt,
                finishedAt: state.terminated.finishedAt,
                reason: state.terminated.reason,
                message: state.terminated.message,
              })
            : undefined,
          waiting: state.waiting ? defined({ reason: state.waiting.reason, message: state.waiting.message }) : undefined,
        })
      : undefined,
  }) as V1ContainerStatus;
}

export function podStatusFields(pod: V1Pod): V1Pod {
  const first = pod.spec?.containers?.[0];
  const status = pod.status;
  return defined({
    metadata: metadataOf(pod.metadata),
    // The mapper reads the first container's name (the main one) and its image.
    spec: first ? { containers: [defined({ name: intern(first.name)!, image: intern(first.image) })] } : undefined,
    status: status
      ? defined({
          phase: status.phase,
          reason: status.reason,
          message: status.message,
          startTime: status.startTime,
          containerStatuses: status.containerStatuses?.map(containerStatusFields),
        })
      : undefined,
  }) as V1Pod;
}

/**
 * A copy without the keys whose value is undefined (an absent field stays absent). Copied, not
 * `delete`d in place: a deletion turns an object into a slow dictionary, several times the size of
 * an object whose fields were added in order (and ~100,000 of them live in the caches, 9b).
 */
function defined<T extends object>(object: T): T {
  const kept = {} as T;
  for (const key in object) if (object[key] !== undefined) kept[key] = object[key];
  return kept;
}

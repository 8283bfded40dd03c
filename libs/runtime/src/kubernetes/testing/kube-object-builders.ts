import type { V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import type { ResolvedJob } from '@rjs/core';
import { LabelKey, MANAGED_BY } from '../labels';

/**
 * Builders for Kubernetes objects in tests that read like sentences, after kueue's
 * `MakeJob(name, ns).BackoffLimit(3).Obj()`. They produce the shapes the API returns: conditions
 * with type/status/reason/message, container states waiting/running/terminated.
 */

export const at = (time: string): Date => new Date(time);

export const RESOLVED_JOB_NAME = 'batch-compute-20240501100000-abcdefgh-ijklmnop';

/** A job of a batch of the `compute` component as the acceptor resolves it, with `overrides`. */
export function resolvedJob(overrides: Partial<ResolvedJob> = {}): ResolvedJob {
  return {
    name: RESOLVED_JOB_NAME,
    batchName: 'batch-compute-20240501100000-abcdefgh',
    batchType: 'batch',
    component: 'compute',
    image: 'registry.example.com/compute:1.0',
    timeLimitSeconds: 43200,
    backoffLimit: 0,
    resources: {},
    variables: {},
    payloadPath: '/compute/args',
    hasPayload: false,
    ...overrides,
  };
}

export class JobBuilder {
  private readonly job: V1Job;

  constructor(name: string, namespace = 'jobs') {
    this.job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace,
        uid: `uid-${name}`,
        resourceVersion: '1',
        creationTimestamp: at('2024-05-01T10:00:00Z'),
        labels: { [LabelKey.managedBy]: MANAGED_BY, [LabelKey.component]: 'compute', [LabelKey.jobName]: name },
      },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'compute', image: 'compute:1' }] } } },
      status: {},
    };
  }

  backoffLimit(limit: number): this {
    this.job.spec!.backoffLimit = limit;
    return this;
  }

  /** The Job of a restarted job's later run. */
  ofRun(generation: number): this {
    this.job.metadata!.labels![LabelKey.generation] = String(generation);
    return this;
  }

  active(count: number): this {
    this.job.status!.active = count;
    return this;
  }

  /** Adds a condition with status True, as the Job controller writes it. */
  condition(type: string, reason: string, message: string, time = '2024-05-01T10:05:00Z'): this {
    const condition: V1JobCondition = { type, status: 'True', reason, message, lastProbeTime: at(time), lastTransitionTime: at(time) };
    this.job.status!.conditions = [...(this.job.status!.conditions ?? []), condition];
    return this;
  }

  complete(time = '2024-05-01T10:05:00Z'): this {
    this.job.status!.completionTime = at(time);
    return this.condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', time).condition(
      'Complete',
      'CompletionsReached',
      'Reached expected number of succeeded pods',
      time,
    );
  }

  failed(reason: string, message: string, time = '2024-05-01T10:05:00Z'): this {
    return this.condition('FailureTarget', reason, message, time).condition('Failed', reason, message, time);
  }

  obj(): V1Job {
    return structuredClone(this.job);
  }
}

export class PodBuilder {
  private readonly pod: V1Pod;
  private readonly status: V1ContainerStatus;

  constructor(name: string, jobName: string) {
    this.status = { name: 'compute', image: 'registry.example.com/compute:1.0', imageID: '', ready: false, restartCount: 0 };
    this.pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'jobs',
        creationTimestamp: at('2024-05-01T10:00:01Z'),
        labels: { [LabelKey.managedBy]: MANAGED_BY, [LabelKey.component]: 'compute', [LabelKey.jobName]: jobName },
      },
      spec: { containers: [{ name: 'compute', image: 'registry.example.com/compute:1.0' }] },
      status: { phase: 'Pending' },
    };
  }

  createdAt(time: string): this {
    this.pod.metadata!.creationTimestamp = at(time);
    return this;
  }

  scheduledAt(time: string): this {
    this.pod.status!.startTime = at(time);
    return this;
  }

  pulledFrom(imageID: string): this {
    this.status.imageID = imageID;
    return this;
  }

  waiting(reason: string, message?: string): this {
    this.pod.status!.phase = 'Pending';
    this.status.state = { waiting: { reason, ...(message && { message }) } };
    return this.withStatus();
  }

  running(startedAt: string): this {
    this.pod.status!.phase = 'Running';
    this.status.ready = true;
    this.status.started = true;
    this.status.state = { running: { startedAt: at(startedAt) } };
    return this.withStatus();
  }

  terminated(exitCode: number, reason: string, startedAt: string, finishedAt: string, message?: string): this {
    this.pod.status!.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
    this.status.ready = false;
    this.status.state = { terminated: { exitCode, reason, startedAt: at(startedAt), finishedAt: at(finishedAt), ...(message && { message }) } };
    return this.withStatus();
  }

  /** A pod that failed as a whole, e.g. evicted, without a container status. */
  podFailed(reason: string, message: string): this {
    this.pod.status = { ...this.pod.status, phase: 'Failed', reason, message };
    return this;
  }

  restarts(count: number): this {
    this.status.restartCount = count;
    return this.withStatus();
  }

  private withStatus(): this {
    this.pod.status!.containerStatuses = [this.status];
    return this;
  }

  obj(): V1Pod {
    return structuredClone(this.pod);
  }
}

export const makeJob = (name: string, namespace?: string): JobBuilder => new JobBuilder(name, namespace);
export const makePod = (name: string, jobName = 'job-1'): PodBuilder => new PodBuilder(name, jobName);

import { randomBytes } from 'node:crypto';
import type { FakeKubelet } from './fake-kubelet';
import { type Json, type KubeObject, kubeTime, type ObjectStore, type StoreEvent } from './object-store';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface FakeJobControllerOptions {
  store: ObjectStore;
  kubelet: FakeKubelet;
  /** Delay before a failed attempt is replaced (the real controller backs off from 10 s). */
  podRetryDelayMs: number;
}

type Decision = { action: 'Count' | 'Ignore' | 'FailJob'; message?: string };

const FINISHED = ['Complete', 'Failed'];

function condition(job: KubeObject, type: string): Json | undefined {
  return (job.status?.conditions ?? []).find((c: Json) => c.type === type && c.status === 'True');
}

function newCondition(type: string, reason: string, message: string): Json {
  const now = kubeTime();
  return { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now };
}

const isTerminal = (pod: KubeObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/**
 * The Job controller and the garbage collector, enough for single-completion Jobs: one pod at a
 * time; a failed pod is replaced until backoffLimit is passed; podFailurePolicy onExitCodes rules
 * (FailJob / Ignore / Count, In / NotIn, containerName) decide per failed pod; activeDeadlineSeconds
 * ends the Job with DeadlineExceeded. As Kubernetes 1.31+ does, the terminal condition is preceded
 * by SuccessCriteriaMet / FailureTarget and only set once no pod runs any more. Finished Jobs are
 * deleted after ttlSecondsAfterFinished. Deleting a Job cascades per propagationPolicy (the Job
 * API's default is Orphan), and a Pod or Secret whose owner no longer exists is collected. In a
 * Foreground deletion the Job stays, with a deletionTimestamp and the foregroundDeletion finalizer,
 * until its pods are gone (they are deleted gracefully), as the garbage collector does it.
 *
 * Simplifications: pods of a Job that is failing are killed but kept (Kubernetes deletes them);
 * onPodConditions rules are not evaluated.
 */
export class FakeJobController {
  private readonly decisions = new Map<string, Decision>();
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly deadlineHit = new Set<string>();
  private readonly creating = new Set<string>();
  private readonly scheduled = new Set<string>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(private readonly options: FakeJobControllerOptions) {
    this.unsubscribe = options.store.subscribe((event) => this.onEvent(event));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const timers of this.timers.values()) timers.forEach(clearTimeout);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent): void {
    const { kind, type, object, namespace } = event;
    if (kind === 'Job' && type === 'ADDED') this.schedule(namespace, object.metadata.name);
    if (kind === 'Job' && type === 'DELETED') this.forget(object.metadata.uid!);
    if (kind === 'Pod') {
      const owner = controllerOf(object);
      if (owner) this.schedule(namespace, owner.name);
      if (owner && type === 'DELETED') this.finishForegroundDeletion(namespace, owner.name);
    }
    if (type === 'ADDED' && object.metadata.ownerReferences?.length) setImmediate(() => this.collectIfOrphan(kind, namespace, object));
  }

  private forget(uid: string): void {
    this.timers.get(uid)?.forEach(clearTimeout);
    this.timers.delete(uid);
    this.deadlineHit.delete(uid);
  }

  private addTimer(uid: string, ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      if (!this.stopped) action();
    }, ms);
    this.timers.set(uid, [...(this.timers.get(uid) ?? []), timer]);
  }

  /** Reconciles a Job soon, once per burst of events. */
  private schedule(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.scheduled.has(key) || this.stopped) return;
    this.scheduled.add(key);
    setImmediate(() => {
      this.scheduled.delete(key);
      if (!this.stopped) this.reconcile(namespace, name);
    });
  }

  private ownedPods(job: KubeObject): KubeObject[] {
    return this.options.store.find('Pod', job.metadata.namespace!, (p) => controllerOf(p)?.uid === job.metadata.uid);
  }

  /** The first podFailurePolicy rule that matches the pod's non-zero exit codes, else Count. */
  private decide(job: KubeObject, pod: KubeObject): Decision {
    const cached = this.decisions.get(pod.metadata.uid!);
    if (cached) return cached;
    const rules: Json[] = job.spec.podFailurePolicy?.rules ?? [];
    const exited = (pod.status?.containerStatuses ?? []).filter((s: Json) => s.state?.terminated && s.state.terminated.exitCode !== 0);
    let decision: Decision = { action: 'Count' };
    for (const [index, rule] of rules.entries()) {
      const on = rule.onExitCodes;
      if (!on) continue;
      const match = exited.find((s: Json) => {
        if (on.containerName && s.name !== on.containerName) return false;
        const listed = (on.values as number[]).includes(s.state.terminated.exitCode);
        return on.operator === 'In' ? listed : !listed;
      });
      if (match) {
        const code = match.state.terminated.exitCode;
        const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
        const message = `Container ${match.name} for pod ${podName} failed with exit code ${code} matching ${rule.action} rule at index ${index}`;
        decision = { action: rule.action, message };
        break;
      }
    }
    this.decisions.set(pod.metadata.uid!, decision);
    return decision;
  }

  private reconcile(namespace: string, name: string): void {
    const job = this.options.store.get('Job', namespace, name);
    if (!job || job.metadata.deletionTimestamp || FINISHED.some((t) => condition(job, t))) return;
    const uid = job.metadata.uid!;
    const pods = this.ownedPods(job);
    const alive = pods.filter((p) => !isTerminal(p));
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded');
    const failed = pods.filter((p) => p.status?.phase === 'Failed');
    const decisions = failed.map((p) => this.decide(job, p));
    const counted = decisions.filter((d) => d.action !== 'Ignore').length;
    const conditions: Json[] = [...(job.status?.conditions ?? [])];
    let target = conditions.find((c) => c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet');

    if (!target) {
      const failJob = decisions.find((d) => d.action === 'FailJob');
      if (succeeded.length > 0) target = newCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      else if (failJob) target = newCondition('FailureTarget', 'PodFailurePolicy', failJob.message!);
      else if (counted > (job.spec.backoffLimit ?? 6)) target = newCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      else if (this.deadlineHit.has(uid)) target = newCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      if (target) {
        conditions.push(target);
        if (target.type === 'FailureTarget') alive.forEach((p) => this.endPod(namespace, p.metadata.name));
      } else if (alive.length === 0) {
        this.createPod(job, failed.length > 0);
      }
    }
    let completionTime: string | undefined;
    if (target && alive.length === 0) {
      // Every pod has ended: the terminal condition follows its target condition.
      const type = target.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
      conditions.push(newCondition(type, target.reason, target.message));
      if (type === 'Complete') completionTime = kubeTime();
    }
    this.writeStatus(job, {
      startTime: job.status?.startTime ?? kubeTime(),
      active: alive.length,
      ready: alive.filter((p) => p.status?.phase === 'Running').length,
      succeeded: succeeded.length,
      failed: counted,
      terminating: 0,
      uncountedTerminatedPods: {},
      ...(conditions.length && { conditions }),
      ...(completionTime && { completionTime }),
    });
  }

  /** A running pod is killed (and kept, to show its exit); one that never started is deleted. */
  private endPod(namespace: string, name: string): void {
    if (this.options.kubelet.isRunning(namespace, name)) this.options.kubelet.kill(namespace, name);
    else this.options.kubelet.deletePod(namespace, name);
  }

  private writeStatus(job: KubeObject, status: Json): void {
    if (JSON.stringify(status) === JSON.stringify(job.status)) return;
    const uid = job.metadata.uid!;
    const firstStart = !job.status?.startTime;
    this.options.store.update('Job', job.metadata.namespace!, job.metadata.name, (j) => {
      j.status = status;
    });
    const deadline = job.spec.activeDeadlineSeconds;
    if (firstStart && deadline) {
      this.addTimer(uid, deadline * 1000, () => {
        this.deadlineHit.add(uid);
        this.schedule(job.metadata.namespace!, job.metadata.name);
      });
    }
    const finished = (status.conditions ?? []).some((c: Json) => FINISHED.includes(c.type));
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (finished && ttl !== undefined && ttl !== null) {
      this.addTimer(uid, ttl * 1000, () => this.deleteJob(job.metadata.namespace!, job.metadata.name, 'Background'));
    }
  }

  private createPod(job: KubeObject, retry: boolean): void {
    const uid = job.metadata.uid!;
    if (this.creating.has(uid)) return;
    this.creating.add(uid);
    const create = () => {
      this.creating.delete(uid);
      const current = this.options.store.get('Job', job.metadata.namespace!, job.metadata.name);
      if (!current || current.metadata.uid !== uid || this.stopped) return;
      this.options.store.create('Pod', job.metadata.namespace!, podFor(current));
    };
    if (retry) this.addTimer(uid, this.options.podRetryDelayMs, create);
    else create();
  }

  /** Deletes a Job; its pods and Secrets follow unless the policy is Orphan (the Job API's default). */
  deleteJob(namespace: string, name: string, policy: PropagationPolicy = 'Orphan'): KubeObject | undefined {
    if (policy === 'Foreground') return this.deleteInForeground(namespace, name);
    const job = this.options.store.delete('Job', namespace, name);
    if (!job) return undefined;
    this.forget(job.metadata.uid!);
    this.cascade(namespace, job, policy);
    return job;
  }

  /** The Job is marked and stays until its dependents are deleted and its pods gone. */
  private deleteInForeground(namespace: string, name: string): KubeObject | undefined {
    const job = this.options.store.get('Job', namespace, name);
    if (!job || job.metadata.deletionTimestamp) return job;
    const marked = this.options.store.update('Job', namespace, name, (j) => {
      j.metadata.deletionTimestamp = kubeTime();
      j.metadata.finalizers = [...((j.metadata.finalizers as string[] | undefined) ?? []), 'foregroundDeletion'];
    });
    this.forget(job.metadata.uid!);
    this.cascade(namespace, job, 'Foreground');
    this.finishForegroundDeletion(namespace, name);
    return marked;
  }

  /** A Job in foreground deletion goes once no pod of it is left. */
  private finishForegroundDeletion(namespace: string, name: string): void {
    const job = this.options.store.get('Job', namespace, name);
    if (!(job?.metadata.finalizers as string[] | undefined)?.includes('foregroundDeletion')) return;
    if (this.ownedPods(job!).length === 0) this.options.store.delete('Job', namespace, name);
  }

  private cascade(namespace: string, owner: KubeObject, policy: PropagationPolicy): void {
    const owned = (o: KubeObject) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
    for (const kind of ['Pod', 'Secret'] as const) {
      for (const dependent of this.options.store.find(kind, namespace, owned)) {
        if (policy === 'Orphan') {
          this.options.store.update(kind, namespace, dependent.metadata.name, (d) => {
            d.metadata.ownerReferences = (d.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
          });
        } else if (kind === 'Pod') this.options.kubelet.deletePod(namespace, dependent.metadata.name);
        else this.options.store.delete(kind, namespace, dependent.metadata.name);
      }
    }
  }

  /** The garbage collector: a dependent whose owner (by uid) is gone is deleted. */
  private collectIfOrphan(kind: 'Job' | 'Pod' | 'Secret', namespace: string, object: KubeObject): void {
    if (this.stopped) return;
    const owners = object.metadata.ownerReferences ?? [];
    const alive = owners.some((r) => r.kind === 'Job' && this.options.store.get('Job', namespace, r.name)?.metadata.uid === r.uid);
    if (alive || !this.options.store.get(kind, namespace, object.metadata.name)) return;
    if (kind === 'Pod') this.options.kubelet.deletePod(namespace, object.metadata.name);
    else this.options.store.delete(kind, namespace, object.metadata.name);
  }
}

function controllerOf(object: KubeObject): { name: string; uid: string } | undefined {
  return (object.metadata.ownerReferences ?? []).find((r) => r.kind === 'Job' && r.controller);
}

function podFor(job: KubeObject): KubeObject {
  const template = job.spec.template ?? {};
  const name = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: {
        ...(template.metadata?.labels ?? {}),
        'batch.kubernetes.io/job-name': job.metadata.name,
        'job-name': job.metadata.name,
        'batch.kubernetes.io/controller-uid': job.metadata.uid!,
        'controller-uid': job.metadata.uid!,
      },
      ...(template.metadata?.annotations && { annotations: template.metadata.annotations }),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(template.spec ?? {}),
    status: { phase: 'Pending' },
  };
}

import type { KubeConfig, V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  type BackoffPolicy,
  type Clock,
  generationOf,
  type JobRuntime,
  type Observation,
  type ObservationSink,
  PermanentLaunchError,
  type ResolvedJob,
  RuntimeUnavailableError,
  rfc3339,
  systemClock,
} from '@rjs/core';
import { describeError, isTransient, statusCodeOf, TransientError } from './api-errors';
import { DEFAULT_RETRY, type RetryPolicy, sleep, withRetry } from './backoff';
import { buildJobManifest, buildPayloadSecret, type JobPodSecurity, type ManifestOptions, payloadSecretName } from './job-manifest';
import { isJobFinished, observeJob, stoppedPodStatuses } from './job-status-mapper';
import { KubernetesApi, defaultNamespace, loadDefaultKubeConfig } from './kubernetes-api';
import { componentSelector, generationOfObject, isManagedBy, jobNameOf } from './labels';
import { DEFAULT_NODE_TYPE_MAPPING, type NodeTypeMapping } from './node-types';
import { ObservationReporter } from './observation-reporter';
import { type InformerEvent, ResourceInformer } from './resource-informer';
import { jobStatusFields, podStatusFields } from './status-fields';
import { consoleLogger, type KubernetesRuntimeLogger } from './runtime-logger';
import { apiServerLimiter, type TokenBucket } from './token-bucket';

export interface KubernetesRuntimeOptions {
  /** The job component whose Jobs this runtime creates and watches. */
  component: string;
  /** Defaults to KubeConfig.loadFromDefault(): KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeConfig?: KubeConfig;
  /** Defaults to the kubeconfig context's namespace (in-cluster: the pod's own), else `default`. */
  namespace?: string;
  /** Kubernetes deletes finished Jobs after this long; unset keeps them. */
  ttlSecondsAfterFinished?: number;
  /**
   * How long a restart waits for the Job of the job's earlier run, with its pods, to be gone
   * before it gives up for now (the launch is retried). Default 60 s (pods get 30 s to exit).
   */
  earlierRunRemovalTimeoutMs?: number;
  /** Client-side rate limit of API calls (see token-bucket.ts for the defaults 20/30). */
  qps?: number;
  burst?: number;
  nodeTypes?: NodeTypeMapping;
  /** The architecture of a job that names none: the component's runtime.architecture, else amd64. */
  defaultArchitecture?: string;
  /** Relaxations of the job pods' hardened securityContext (configuration only). */
  podSecurity?: JobPodSecurity;
  /** Retries of a failing API call before launch/stop/remove/has give up. */
  retry?: RetryPolicy;
  /** Restart delays of the watches after errors, and of failed sink calls. */
  watchBackoff?: BackoffPolicy;
  /** Timeout of one API request (watches excepted). Default 30 s. */
  requestTimeoutMs?: number;
  /** The server ends each watch after 1/2 to 1 times this, and a fresh one continues. Default 600 s. */
  watchTimeoutSeconds?: number;
  /**
   * Sink calls in flight at most. Default 32: each is a Redis round trip or two, so at 1,000 pod
   * changes a second (benchmark 5) 8 in flight fell behind on a busy host (p50 lag 3.6 s -> 1.8 s).
   */
  reportConcurrency?: number;
  logger?: KubernetesRuntimeLogger;
  clock?: Clock;
  /** Told of every failed API call (watches excepted), by HTTP status or network error code: for metrics. */
  onApiError?: (code: string) => void;
}

const DEFAULT_WATCH_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };
/** How often a restart looks whether the earlier run's Job is gone. */
const EARLIER_RUN_POLL_MS = 250;

/**
 * The JobRuntime port on Kubernetes: one batch/v1 Job per scheduled job (see job-manifest.ts),
 * observed through list+watch of the component's Jobs and Pods (resource-informer.ts), mapped to
 * observations by one pure function (job-status-mapper.ts). A Job deleted before it finished (a
 * stop, from this process or another; a remove; kubectl delete) reports `stopped`.
 *
 * A restart keeps the job's name, so the Job of its new run has the name of the earlier run's:
 * the earlier Job is deleted with its pods (propagation Foreground: the Job is gone only once its
 * pods are) and its payload Secret, and the new Job is created once it is gone. So the API and the
 * job program (RADIX_JOB_NAME) see one name, and no pod of the earlier run runs alongside the new
 * run. Every object carries its run (the generation label); observations are made per run, from
 * the Job and the pods of that run only, and say which run they are of.
 *
 * Several replicas may watch at once; no leader election is needed. Every replica sees the same
 * objects and reports the same observations; the sink is the one write path, applies an
 * observation atomically and ignores one that does not move a record (a replay, or one behind a
 * final status). Two replicas reporting the same Job therefore write it once, in either order.
 */
export class KubernetesJobRuntime implements JobRuntime {
  readonly kind = 'kubernetes' as const;
  readonly namespace: string;
  private readonly api: KubernetesApi;
  private readonly limiter: TokenBucket;
  private readonly manifestOptions: ManifestOptions;
  private readonly retry: RetryPolicy;
  private readonly logger: KubernetesRuntimeLogger;
  private readonly clock: Clock;
  private readonly jobs: ResourceInformer<V1Job>;
  private readonly pods: ResourceInformer<V1Pod>;
  private reporter: ObservationReporter | undefined;
  /** Jobs this process deleted on a stop request: their disappearance means `stopped`. */
  private readonly stopRequested = new Set<string>();
  /**
   * The last state of pods deleted while their Job still exists, by job name. Jobs and pods come
   * through separate watches: when a Job and its pods are deleted together (TTL, stop), the pods'
   * deletions may arrive first, and the Job's final report must still carry its attempts.
   */
  private readonly deletedPods = new Map<string, Map<string, V1Pod>>();
  /** When each pod was first seen: the order of attempts created within the same second. */
  private readonly podSeen = new Map<string, number>();
  private podSequence = 0;
  private closed = false;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    const kubeConfig = options.kubeConfig ?? loadDefaultKubeConfig();
    this.namespace = options.namespace || defaultNamespace(kubeConfig);
    this.logger = options.logger ?? consoleLogger;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.limiter = apiServerLimiter(options);
    this.api = new KubernetesApi(kubeConfig, this.namespace, this.limiter, options.requestTimeoutMs ?? 30_000, options.onApiError);
    this.manifestOptions = {
      namespace: this.namespace,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      nodeTypes: options.nodeTypes ?? DEFAULT_NODE_TYPE_MAPPING,
      defaultArchitecture: options.defaultArchitecture,
      podSecurity: options.podSecurity,
    };
    // The caches keep only what the status mapper reads (status-fields.ts).
    this.jobs = this.informer<V1Job>('jobs', jobStatusFields);
    this.pods = this.informer<V1Pod>('pods', podStatusFields, (pod) => jobNameOf(pod.metadata?.labels));
  }

  private informer<T extends V1Job | V1Pod>(
    resource: 'jobs' | 'pods',
    transform: (object: T) => T,
    indexBy?: (object: T) => string | undefined,
  ): ResourceInformer<T> {
    const selector = componentSelector(this.options.component);
    return new ResourceInformer<T>({
      name: resource,
      transform,
      source: {
        list: (each) =>
          (resource === 'jobs'
            ? this.api.listJobs(selector, each as unknown as (job: V1Job) => V1Job)
            : this.api.listPods(selector, each as unknown as (pod: V1Pod) => V1Pod)) as Promise<{ items: T[]; resourceVersion: string }>,
        watch: (resourceVersion, timeoutSeconds, onEvent, onDone) =>
          this.api.watch(resource, { labelSelector: selector, resourceVersion, timeoutSeconds }, onEvent, onDone),
      },
      backoff: this.options.watchBackoff ?? DEFAULT_WATCH_BACKOFF,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds ?? 600,
      indexBy,
      logger: this.logger,
    });
  }

  // ---- observing ----

  /** Resolves once the first list of Jobs and Pods is synced and every Job in it reported. */
  async start(sink: ObservationSink): Promise<void> {
    if (this.reporter) throw new Error('the Kubernetes runtime is already started');
    const reporter = new ObservationReporter({
      observe: (name) => this.observe(name),
      sink,
      concurrency: this.options.reportConcurrency ?? 32,
      retry: this.options.watchBackoff ?? DEFAULT_WATCH_BACKOFF,
      logger: this.logger,
    });
    this.reporter = reporter;
    this.jobs.onEvent((event) => this.onJobEvent(event));
    this.pods.onEvent((event) => this.onPodEvent(event));
    await Promise.all([this.jobs.start(), this.pods.start()]);
    // Both caches are full now, so the first reports carry every pod.
    reporter.resume();
    await reporter.idle();
  }

  /** True while the Job and Pod caches reflect the API server (for readiness). */
  isSynced(): boolean {
    return this.jobs.isSynced() && this.pods.isSynced();
  }

  private observe(jobName: string): Observation | undefined {
    const job = this.jobs.get(jobName);
    if (!job || !isManagedBy(job.metadata?.labels, this.options.component)) return undefined;
    return observeJob(job, this.podsOf(job), this.clock.now());
  }

  /**
   * The pods of the Job's run, those deleted while the Job exists included, in the order first
   * seen. Pods of an earlier run of the job (the same name) are not this run's attempts.
   */
  private podsOf(job: V1Job): V1Pod[] {
    const jobName = job.metadata?.name ?? '';
    const generation = generationOfObject(job);
    const pods = [...this.pods.byIndex(jobName), ...(this.deletedPods.get(jobName)?.values() ?? [])].filter((pod) => generationOfObject(pod) === generation);
    const seen = (pod: V1Pod) => this.podSeen.get(pod.metadata?.name ?? '') ?? Number.MAX_SAFE_INTEGER;
    return pods.sort((a, b) => seen(a) - seen(b));
  }

  private onPodEvent(event: InformerEvent<V1Pod>): void {
    const jobName = jobNameOf(event.object.metadata?.labels);
    if (!jobName || !this.reporter) return;
    const podName = event.object.metadata?.name ?? '';
    const job = this.jobs.get(jobName);
    if (event.type !== 'deleted') {
      if (!this.podSeen.has(podName)) this.podSeen.set(podName, this.podSequence++);
      this.deletedPods.get(jobName)?.delete(podName);
    } else if (job && generationOfObject(job) === generationOfObject(event.object)) {
      let pods = this.deletedPods.get(jobName);
      if (!pods) this.deletedPods.set(jobName, (pods = new Map()));
      pods.set(podName, event.object);
    } else {
      this.podSeen.delete(podName);
    }
    this.reporter.enqueue(jobName);
  }

  private onJobEvent(event: InformerEvent<V1Job>): void {
    const name = event.object.metadata?.name;
    if (!name || !this.reporter) return;
    if (event.type !== 'deleted') {
      this.reporter.enqueue(name);
      return;
    }
    const pods = this.podsOf(event.object);
    this.deletedPods.delete(name);
    for (const pod of pods) this.podSeen.delete(pod.metadata?.name ?? '');
    // Reports of the deleted Job's own run: when a restart removed it, the records ignore them.
    if (isJobFinished(event.object)) {
      // Removed after it finished (TTL, cleanup): its final state may not have been reported yet.
      this.reporter.enqueueObservation(name, observeJob(event.object, pods, this.clock.now()));
    } else if (this.stopRequested.has(name) || !event.finalStateUnknown) {
      // Deleted before it finished: a stop (from this process or a worker elsewhere), a remove, a
      // restart, or someone deleting it by hand. The Job no longer runs, so it is stopped.
      this.reporter.enqueueObservation(name, this.stoppedObservation(event.object, pods));
    }
    // Otherwise it vanished while the watch was down and its last state is unknown (it may have
    // finished, then been removed by its TTL): has() answers false and the reconciliation decides.
    this.stopRequested.delete(name);
  }

  private stoppedObservation(job: V1Job, pods: V1Pod[]): Observation {
    return { kind: 'stopped', at: rfc3339(this.clock.now()), generation: generationOfObject(job), podStatuses: stoppedPodStatuses(pods) };
  }

  // ---- commands ----

  async launch(job: ResolvedJob, payload: string | undefined): Promise<void> {
    const withPayload = payload !== undefined && !!job.payloadPath;
    let manifest: V1Job;
    try {
      manifest = buildJobManifest(job, this.manifestOptions, withPayload);
    } catch (error) {
      throw new PermanentLaunchError(`job ${job.name} cannot run on Kubernetes: ${(error as Error).message}`);
    }
    const created = await this.call(`create Job ${job.name}`, () => this.createOrAdoptJob(manifest));
    // undefined: a later run holds the name, so this launch is stale and creates nothing.
    if (created && withPayload) await this.createPayloadSecret(job, payload, created);
  }

  /**
   * A 409 for the Job this service created for this run counts as created (a retried launch). The
   * Job of an earlier run (a restart) is removed first, that of a later run makes this a no-op.
   */
  private async createOrAdoptJob(manifest: V1Job): Promise<V1Job | undefined> {
    const name = manifest.metadata!.name!;
    try {
      return await this.api.createJob(manifest);
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw error;
    }
    const existing = await this.api.readJob(name);
    if (!existing) throw new TransientError(`Job ${name} existed and vanished; creating it again`);
    if (!this.isOurJob(existing, name)) {
      throw new PermanentLaunchError(`a Job named ${name} already exists in ${this.namespace} and was not created by this scheduler`);
    }
    const run = generationOfObject(manifest);
    const existingRun = generationOfObject(existing);
    if (existingRun === run) return existing;
    if (existingRun > run) return undefined;
    await this.removeEarlierRun(existing);
    // Once more: another worker may have created this run's Job meanwhile, which then counts.
    return this.createOrAdoptJob(manifest);
  }

  /**
   * A restart: deletes the Job of the job's earlier run with its pods (Foreground, so the Job
   * lasts until its pods are gone) and that run's payload Secret, and waits until the Job is gone.
   * Too long a wait is a TransientError: the launch is tried again later.
   */
  private async removeEarlierRun(earlier: V1Job): Promise<void> {
    const name = earlier.metadata!.name!;
    if (!earlier.metadata?.deletionTimestamp) await this.api.deleteJob(name, 'Foreground');
    await this.deleteSecretOf(name, generationOfObject(earlier));
    const deadline = Date.now() + (this.options.earlierRunRemovalTimeoutMs ?? 60_000);
    while ((await this.api.readJob(name))?.metadata?.uid === earlier.metadata?.uid) {
      if (Date.now() >= deadline) throw new TransientError(`the Job of an earlier run of ${name} is still being deleted`);
      await sleep(EARLIER_RUN_POLL_MS);
    }
  }

  /** Deletes the job's payload Secret if this service created it (for run `generation`, when given). */
  private async deleteSecretOf(jobName: string, generation?: number): Promise<void> {
    const secretName = payloadSecretName(jobName);
    const secret = await this.api.readSecret(secretName);
    if (!secret || !this.isOurJob(secret, jobName)) return;
    if (generation !== undefined && generationOfObject(secret) !== generation) return;
    await this.api.deleteSecret(secretName);
  }

  private isOurJob(job: V1Job | V1Secret, name: string): boolean {
    return isManagedBy(job.metadata?.labels, this.options.component) && jobNameOf(job.metadata?.labels) === name;
  }

  /**
   * The payload Secret is created after its Job, owned by it (the garbage collector removes it with
   * the Job, even one deleted by its TTL). The pod waits for the Secret volume meanwhile. Creating
   * the Secret first would leave an orphan Secret when the Job creation then fails for good.
   */
  private async createPayloadSecret(job: ResolvedJob, payload: string, owner: V1Job): Promise<void> {
    const owned = buildPayloadSecret(job, payload, { name: job.name, uid: owner.metadata?.uid ?? '' }, this.namespace);
    try {
      await this.call(`create Secret ${owned.metadata!.name}`, () => this.createOrAdoptSecret(owned, job.name));
    } catch (error) {
      if (error instanceof PermanentLaunchError) {
        // The pod would wait forever for its payload: take the Job away again.
        await this.api.deleteJob(job.name, 'Background').catch(() => undefined);
      }
      throw error;
    }
  }

  private async createOrAdoptSecret(secret: V1Secret, jobName: string): Promise<void> {
    try {
      await this.api.createSecret(secret);
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw error;
      const existing = await this.api.readSecret(secret.metadata!.name!);
      if (!existing) throw new TransientError(`Secret ${secret.metadata!.name} existed and vanished`);
      if (!this.isOurJob(existing, jobName)) {
        throw new PermanentLaunchError(`a Secret named ${secret.metadata!.name} already exists and was not created by this scheduler`);
      }
      // An earlier run's Secret, owned by its Job (the garbage collector would take it from the new run): replaced.
      if (existing.metadata?.ownerReferences?.[0]?.uid !== secret.metadata?.ownerReferences?.[0]?.uid) {
        await this.api.deleteSecret(secret.metadata!.name!);
        throw new TransientError(`the payload Secret of an earlier run of ${jobName} was in the way; creating it again`);
      }
    }
  }

  /**
   * Deletes the Job with its pods (propagation Background). The job then reports `stopped` (from
   * here at once, and from the watch when the Job disappears). A Job that already finished is left
   * alone: the watcher reports how it ended.
   */
  async stop(jobName: string): Promise<void> {
    const job = await this.call(`read Job ${jobName}`, () => this.api.readJob(jobName));
    if (!job || !this.isOurJob(job, jobName) || isJobFinished(job)) return;
    if (this.reporter) this.stopRequested.add(jobName);
    const deleted = await this.call(`delete Job ${jobName}`, () => this.api.deleteJob(jobName, 'Background'));
    if (deleted && this.reporter) this.reporter.enqueueObservation(jobName, this.stoppedObservation(job, this.podsOf(job)));
  }

  /** Deletes the Job (with its pods) and the payload Secret; missing ones are fine. */
  async remove(jobName: string): Promise<void> {
    this.stopRequested.delete(jobName);
    const job = await this.call(`read Job ${jobName}`, () => this.api.readJob(jobName));
    if (job && this.isOurJob(job, jobName)) await this.call(`delete Job ${jobName}`, () => this.api.deleteJob(jobName, 'Background'));
    // The garbage collector would remove the Secret with its Job; deleting it too frees the payload now.
    await this.call(`delete Secret ${payloadSecretName(jobName)}`, () => this.deleteSecretOf(jobName));
  }

  /**
   * From the synced watch cache when it holds the Job; only a Job the cache lacks (launched after
   * the cache last heard, or gone) is asked about, with housekeeping priority: with 10,000
   * unfinished jobs, a GET each would take the whole request budget (500 s at 20 QPS) from launches.
   * A Job deleted since the cache heard of it is reported by the watch itself.
   */
  async has(jobName: string): Promise<boolean> {
    const cached = this.jobs.isSynced() ? this.jobs.get(jobName) : undefined;
    if (cached && this.isOurJob(cached, jobName)) return true;
    const job = await this.call(`read Job ${jobName}`, () => this.api.readJob(jobName, 'housekeeping'));
    return !!job && this.isOurJob(job, jobName);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reporter?.close();
    this.limiter.close();
    await Promise.all([this.jobs.stop(), this.pods.stop()]);
    this.api.close();
  }

  /** Retries what may pass, then maps the outcome to the port's errors. */
  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new RuntimeUnavailableError(`${what}: the Kubernetes runtime is closed`);
    try {
      return await withRetry(operation, this.retry, (error, retry, delayMs) =>
        this.logger.warn({ retry, delayMs: Math.round(delayMs) }, `${what} failed (${describeError(error)}); retrying`),
      );
    } catch (error) {
      if (error instanceof PermanentLaunchError || error instanceof RuntimeUnavailableError) throw error;
      if (isTransient(error) || this.closed) throw new RuntimeUnavailableError(`${what}: Kubernetes API unavailable (${describeError(error)})`);
      throw new PermanentLaunchError(`${what}: ${describeError(error)}`);
    }
  }
}

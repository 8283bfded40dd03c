import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedJob } from '@rjs/core';
import { buildJobManifest, DEFAULT_NODE_TYPE_MAPPING } from '@rjs/runtime';
import { FakeKubernetesServer, type KubeObject } from '../../test/support/fake-kubernetes';
import { runService } from '../support/service-main';

export interface FakeKubernetesServiceOptions {
  /** Each request waits a uniformly random time in [min, max] ms before its answer. */
  latencyMs: { min: number; max: number };
  /**
   * A fast pod-completion mode (benchmark 10): each Job created through the API gets its pod,
   * which runs and succeeds, and the Job is marked Complete, this long after its creation; each
   * write as the Job controller and the kubelet would make it, so the watches carry what a real
   * cluster sends (pod created, pod Succeeded, Job Complete).
   */
  completeAfterMs?: number;
}

export interface JobCreation {
  namespace: string;
  /** ms since the epoch when the request arrived. */
  at: number;
}

let server: FakeKubernetesServer | undefined;
/** When each Job completed in the fast completion mode, by name (ms since the epoch). */
const completedAt = new Map<string, number>();

const now = () => performance.timeOrigin + performance.now();

/** A pending pod of a Job, as the Job controller would create it. */
function podFor(job: KubeObject): KubeObject {
  const template = job.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
      labels: { ...template.metadata.labels, 'job-name': job.metadata.name, 'batch.kubernetes.io/job-name': job.metadata.name, 'controller-uid': job.metadata.uid! },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: template.spec,
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] },
  };
}

/**
 * The fake Kubernetes API server of the tests (REST + watch), in a process of its own so that its
 * work does not count as the scheduler's. Its Job controller is off: it reconciles a Job by
 * listing (and copying) every pod of the namespace, so past a few hundred Jobs the fake itself was
 * the bottleneck (about 25 creations/s at 2,000 Jobs). Where a benchmark needs pods, `createJobs`
 * makes each Job's pod; pods stay Pending (no process per job), so thousands of live Jobs cost
 * nothing but objects.
 */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The fast completion mode: pod created, pod Succeeded, Job Complete, `afterMs` after each Job's creation. */
function completeJobs(fake: FakeKubernetesServer, afterMs: number): void {
  fake.store.subscribe((event) => {
    if (event.type !== 'ADDED' || event.kind !== 'Job') return;
    const { namespace } = event;
    const name = event.object.metadata.name;
    setTimeout(() => {
      const job = fake.store.get('Job', namespace, name);
      if (!job) return;
      const pod = fake.store.create('Pod', namespace, podFor(job));
      const started = rfc3339(Date.now() - afterMs);
      const ended = rfc3339(Date.now());
      const container = pod.spec.containers[0];
      fake.store.update('Pod', namespace, pod.metadata.name, (p) => {
        p.spec.nodeName = 'fake-node';
        p.status = {
          phase: 'Succeeded',
          startTime: started,
          conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: started }],
          containerStatuses: [
            {
              name: container.name,
              image: container.image,
              imageID: '',
              ready: false,
              restartCount: 0,
              started: false,
              state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: ended } },
            },
          ],
        };
      });
      fake.store.update('Job', namespace, name, (j) => {
        j.status = {
          startTime: started,
          completionTime: ended,
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: ended },
            { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: ended },
          ],
        };
      });
      completedAt.set(name, now());
    }, afterMs);
  });
}

runService<FakeKubernetesServiceOptions>({
  async start(options) {
    server = await FakeKubernetesServer.start({ canSchedule: () => false, historyLimit: 1_000_000 });
    server.controller.stop();
    const { min, max } = options.latencyMs;
    // The fake adds `latencyMs` before each answer; read per request, so a getter makes it vary.
    Object.defineProperty(server, 'latencyMs', { get: () => min + Math.random() * (max - min) });
    if (options.completeAfterMs !== undefined) completeJobs(server, options.completeAfterMs);
    const kubeconfig = join(tmpdir(), `bench-kubeconfig-${process.pid}.json`);
    writeFileSync(kubeconfig, server.kubeconfigFile('default'));
    return { url: server.url, kubeconfig };
  },
  calls: {
    /** Job (or Secret) creations that succeeded (201), in arrival order. */
    jobCreations: ({ namespace, resource = 'jobs' }: { namespace: string; resource?: 'jobs' | 'secrets' }): JobCreation[] =>
      server!.requests
        .filter((r) => r.verb === 'create' && r.resource === resource && r.status === 201 && r.namespace === namespace)
        .map((r) => ({ namespace: r.namespace!, at: r.at })),
    /**
     * Creates Jobs straight in the store (as if launched earlier), built by the scheduler's own
     * manifest builder, each with its pending pod.
     */
    createJobs: ({ namespace, specs }: { namespace: string; specs: ResolvedJob[] }): number => {
      for (const spec of specs) {
        const job = server!.store.create('Job', namespace, buildJobManifest(spec, { namespace, nodeTypes: DEFAULT_NODE_TYPE_MAPPING }, false) as KubeObject);
        server!.store.create('Pod', namespace, podFor(job));
      }
      return specs.length;
    },
    /** How many requests of a verb on a resource arrived (e.g. the GETs of Jobs the scheduler made). */
    requestCount: ({ verb, resource }: { verb: string; resource: string }): number =>
      server!.requests.filter((r) => r.verb === verb && r.resource === resource).length,
    /** Jobs completed by the fast completion mode: name and when. */
    completions: (): { name: string; at: number }[] => [...completedAt].map(([name, at]) => ({ name, at })),
    podCount: ({ namespace }: { namespace: string }): number => server!.list('pods', namespace).length,
    /**
     * Starts the container of each Job's pod, `perSecond` Jobs a second, in order; answers when
     * done with the moment each change entered the store (and so the watch streams).
     */
    startPods: async ({ namespace, jobs, perSecond }: { namespace: string; jobs: string[]; perSecond: number }) => {
      // The pods looked up once (podsOf lists the namespace: at 1,000 changes/s it held the pace to ~200/s).
      const podOf = new Map(server!.list('pods', namespace).map((p) => [p.metadata.labels?.['job-name'], p]));
      const started = now();
      const changes: { name: string; at: number }[] = [];
      for (let i = 0; i < jobs.length; i++) {
        const due = started + (i * 1000) / perSecond;
        const wait = due - now();
        // Timers fire no finer than ~1 ms: changes due meanwhile go together, each at its due time or just after.
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const pod = podOf.get(jobs[i]);
        if (!pod) throw new Error(`job ${jobs[i]} has no pod`);
        const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const container = pod.spec.containers[0];
        server!.store.update('Pod', namespace, pod.metadata.name, (p) => {
          p.spec.nodeName = 'fake-node';
          p.status = {
            phase: 'Running',
            startTime: startedAt,
            conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: startedAt }],
            containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt } } }],
          };
        });
        changes.push({ name: jobs[i], at: now() });
      }
      return changes;
    },
  },
  async stop() {
    await server?.stop();
  },
});

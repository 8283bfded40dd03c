import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import { TestRedis } from '../support/redis-server';
import { eventually } from '../support/eventually';
import { http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';
import { RedisKeys } from '@rjs/store';

const ROOT = resolve(__dirname, '../..');
const NAMESPACE = 'radix-jobs';

/**
 * The whole service with JOB_RUNTIME=kubernetes and a kubeconfig (KUBECONFIG), built by the real
 * runtime factory, against the fake Kubernetes API server: the Jobs it creates and the statuses it
 * reports.
 */
describe('the scheduler on the Kubernetes runtime (KUBECONFIG)', () => {
  let redis: TestRedis;
  let kube: FakeKubernetesServer;
  let scheduler: SchedulerApp;
  let kubeconfigDir: string;
  const previousKubeconfig = process.env.KUBECONFIG;

  beforeAll(async () => {
    redis = await TestRedis.start();
    kube = await FakeKubernetesServer.start({ workDir: ROOT });
    kubeconfigDir = mkdtempSync(join(tmpdir(), 'rjs-kubeconfig-'));
    const kubeconfig = join(kubeconfigDir, 'config');
    writeFileSync(kubeconfig, kube.kubeconfigFile(NAMESPACE));
    process.env.KUBECONFIG = kubeconfig;
    scheduler = await startScheduler({
      RADIX_CONFIG: join(ROOT, 'test/fixtures/kubernetes-radixconfig.yaml'),
      REDIS_URL: redis.url,
      JOB_RUNTIME: 'kubernetes',
      JOB_TTL_SECONDS_AFTER_FINISHED: '3600',
    });
  });

  afterAll(async () => {
    await scheduler?.close();
    await kube?.stop();
    await redis?.stop();
    rmSync(kubeconfigDir, { recursive: true, force: true });
    if (previousKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previousKubeconfig;
  });

  it('creates a correct Job with its payload Secret and reports it Succeeded with its pod', async () => {
    const { status, body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', {
      payload: '{"x": 10, "y": 20}',
      jobId: 'sum',
      backoffLimit: 2,
      timeLimitSeconds: 90,
      variables: { EXTRA: 'yes' },
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
      runtime: { nodeType: 'memory-optimized-2-v1' },
    });
    expect(status).toBe(200);
    const done = await jobReaches(scheduler.url, body.name, 'Succeeded');
    expect(done).toMatchObject({ jobId: 'sum', failed: 0 });
    expect(done.podStatuses).toHaveLength(1);
    expect(done.podStatuses[0]).toMatchObject({ exitCode: 0, reason: 'Completed', replicaStatus: { status: 'Succeeded' } });

    const job = kube.get('jobs', NAMESPACE, body.name) as any;
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 90, ttlSecondsAfterFinished: 3600 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example.com/compute:1.0');
    expect(container.command).toEqual(['node', 'examples/job/main.js']);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } });
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ RADIX_JOB_NAME: body.name, JOB_PAYLOAD_FILE: '/compute/args/payload', EXTRA: 'yes', GREETING: 'hello from the component' });
    expect(JSON.stringify(pod.tolerations)).toContain('memory-optimized-2-v1');
    // The request's runtime names no architecture: the component's (arm64) joins the node type's term.
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'radix-nodetype', operator: 'In', values: ['memory-optimized-2-v1'] },
          { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
        ],
      },
    ]);
    const secret = kube.list('secrets', NAMESPACE).find((s: any) => s.metadata.ownerReferences?.[0]?.name === body.name) as any;
    expect(Buffer.from(secret.data.payload, 'base64').toString()).toBe('{"x": 10, "y": 20}');
    // The payload stays in Redis with the record (restart and copy need it), as well as in the Secret.
    const client = redis.client();
    expect(await client.get(new RedisKeys('compute').payload(body.name))).toBe('{"x": 10, "y": 20}');
    await client.quit();
  });

  it('reports a failing job Failed with every attempt after its backoff limit', async () => {
    const { body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', { payload: '{"exitCode": 3}', backoffLimit: 1 });
    const done = await jobReaches(scheduler.url, body.name, 'Failed');
    expect(done.message).toMatch(/backoff limit/i);
    expect(done.podStatuses.map((p) => p.exitCode)).toEqual([3, 3]);
  });

  it('fails a job at once on a FailJob failure-policy rule', async () => {
    const { body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', {
      payload: '{"exitCode": 42}',
      backoffLimit: 5,
      failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
    });
    const done = await jobReaches(scheduler.url, body.name, 'Failed');
    expect(done.podStatuses).toHaveLength(1);
    expect(done.message).toMatch(/42/);
  });

  it('stops a running batch job: the Job and its pods are deleted and the job ends Stopped', async () => {
    const { body } = await http<BatchStatusView>(scheduler.url, 'POST', '/api/v1/batches', {
      jobScheduleDescriptions: [{ payload: '{"sleepSeconds": 60}' }, { payload: '{}' }],
    });
    const [slow, quick] = body.jobStatuses!.map((j) => j.name);
    await jobReaches(scheduler.url, slow, 'Running');
    await jobReaches(scheduler.url, quick, 'Succeeded');
    const stop = await http(scheduler.url, 'POST', `/api/v1/batches/${body.name}/jobs/${slow}/stop`);
    expect(stop.status).toBe(200);
    const stopped = await jobReaches(scheduler.url, slow, 'Stopped');
    expect(stopped.ended).toBeDefined();
    await eventually(() => !kube.get('jobs', NAMESPACE, slow) && kube.podsOf(NAMESPACE, slow).length === 0, `Job ${slow} and its pods to be deleted`);
    const batch = await http<BatchStatusView>(scheduler.url, 'GET', `/api/v1/batches/${body.name}`);
    expect(batch.body.status).toBe('Stopped');
  });

  it('deletes a job: its Job and payload Secret leave the cluster', async () => {
    const { body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', { payload: '{"sleepSeconds": 60}' });
    await jobReaches(scheduler.url, body.name, 'Running');
    expect((await http(scheduler.url, 'DELETE', `/api/v1/jobs/${body.name}`)).status).toBe(200);
    await eventually(
      () => !kube.get('jobs', NAMESPACE, body.name) && !kube.list('secrets', NAMESPACE).some((s: any) => s.metadata.ownerReferences?.[0]?.name === body.name),
      `Job ${body.name} and its Secret to be deleted`,
    );
    expect((await http(scheduler.url, 'GET', `/api/v1/jobs/${body.name}`)).status).toBe(404);
  });

  it('restarts a running job: the earlier Job goes with its pods, a new Job of the same name runs it again, and the earlier run\'s end changes nothing', async () => {
    const { body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', { payload: '{"sleepSeconds": 60}' });
    await jobReaches(scheduler.url, body.name, 'Running');
    const earlier = kube.get('jobs', NAMESPACE, body.name) as any;
    const [earlierPod] = kube.podsOf(NAMESPACE, body.name).map((p: any) => p.metadata.name);

    expect((await http(scheduler.url, 'POST', `/api/v1/jobs/${body.name}/restart`)).status).toBe(200);

    const running = await eventually(async () => {
      const { body: job } = await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${body.name}`);
      return job.status === 'Running' && job.podStatuses.length === 2 && job;
    }, 'the new run to be recorded Running');
    const current = kube.get('jobs', NAMESPACE, body.name) as any;
    expect(current.metadata.uid).not.toBe(earlier.metadata.uid);
    expect(current.metadata.labels['radix-job-scheduler/generation']).toBe('1');
    expect(kube.podsOf(NAMESPACE, body.name).map((p: any) => p.metadata.name)).not.toContain(earlierPod);
    expect(running.podStatuses.map((p) => [p.name === earlierPod, p.podIndex, p.replicaStatus.status])).toEqual([
      [true, 0, 'Stopped'],
      [false, 1, 'Running'],
    ]);
    expect(running.restart).toBeDefined();
    // The watch reported the earlier Job deleted before it finished (stopped) after the restart; the record stays with the new run.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${body.name}`)).body.status).toBe('Running');
    const secret = kube.list('secrets', NAMESPACE).find((s: any) => s.metadata.name === `${body.name}-payload`) as any;
    expect(secret.metadata.ownerReferences[0].uid).toBe(current.metadata.uid);
    expect(Buffer.from(secret.data.payload, 'base64').toString()).toBe('{"sleepSeconds": 60}');
    expect((await http(scheduler.url, 'DELETE', `/api/v1/jobs/${body.name}`)).status).toBe(200);
  });

  it('retries Kubernetes API errors and counts them in /metrics by code', async () => {
    kube.failNext(2, 500, { verb: 'create', resource: 'jobs' });
    const { body } = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', { payload: '{}' });
    await jobReaches(scheduler.url, body.name, 'Succeeded');
    const metrics = await (await fetch(`${scheduler.url}/metrics`)).text();
    const count = Number(/rjs_kubernetes_api_errors_total\{code="500"\} (\d+)/.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it('is not ready while its watches cannot relist, and ready again once they can', async () => {
    const readiness = async () => (await fetch(`${scheduler.url}/readyz`)).status;
    await eventually(async () => (await readiness()) === 200, 'the scheduler to be ready');
    // The server is up but refuses lists (410 on the watches forces a relist): the view is stale.
    kube.failNext(1_000, 500, { verb: 'list' });
    kube.expireWatches();
    await eventually(async () => (await readiness()) === 503, 'readiness to report the stale watches');
    kube.clearFailures();
    await eventually(async () => (await readiness()) === 200, 'readiness to return after a relist', 40_000);
  });

  it('uses the kubeconfig context namespace', () => {
    expect(readFileSync(process.env.KUBECONFIG!, 'utf8')).toContain(NAMESPACE);
    expect(kube.list('jobs').every((j: any) => j.metadata.namespace === NAMESPACE)).toBe(true);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStatusView } from '@rjs/core';
import { eventually } from '../support/eventually';
import { JOB_PROGRAM, printedLines as lines } from '../runtime-contract/job-builder';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import { TestRedis } from '../support/redis-server';
import { followLogs, getText, printing, ranJob } from './logs-client';
import { http, jobReaches, type SchedulerApp, startScheduler } from './scheduler-app';

const NAMESPACE = 'radix-jobs';

/**
 * The logs routes over real HTTP with JOB_RUNTIME=kubernetes (KUBECONFIG, the real runtime factory)
 * against the fake API server, whose kubelet runs test/fixtures/job-program.js: the whole scheduler,
 * and a process with the role api alone, which reads pod logs with a client of its own.
 */
describe('job logs end to end (HTTP API, Kubernetes runtime)', () => {
  let redis: TestRedis;
  let kube: FakeKubernetesServer;
  let scheduler: SchedulerApp;
  let apiAlone: SchedulerApp;
  let scratch: string;
  const previousKubeconfig = process.env.KUBECONFIG;

  beforeAll(async () => {
    redis = await TestRedis.start();
    // A pod whose job asks for it stays unscheduled: its container never starts.
    kube = await FakeKubernetesServer.start({ canSchedule: (pod) => !(pod.spec.containers[0].env ?? []).some((e: { name: string }) => e.name === 'UNSCHEDULABLE') });
    scratch = mkdtempSync(join(tmpdir(), 'rjs-kube-logs-'));
    writeFileSync(join(scratch, 'kubeconfig'), kube.kubeconfigFile(NAMESPACE));
    process.env.KUBECONFIG = join(scratch, 'kubeconfig');
    writeFileSync(
      join(scratch, 'radixconfig.yaml'),
      `spec:\n  jobs:\n    - name: compute\n      image: registry.example.com/compute:1.0\n      schedulerPort: 8000\n` +
        `      command: ${JSON.stringify([process.execPath, JOB_PROGRAM])}\n      timeLimitSeconds: 120\n`,
    );
    const env = { RADIX_CONFIG: join(scratch, 'radixconfig.yaml'), REDIS_URL: redis.url, JOB_RUNTIME: 'kubernetes', JOB_TTL_SECONDS_AFTER_FINISHED: '3600' };
    scheduler = await startScheduler(env);
    apiAlone = await startScheduler({ ...env, ROLES: 'api' });
  });

  afterAll(async () => {
    await apiAlone?.close();
    await scheduler?.close();
    await kube?.stop();
    await redis?.stop();
    rmSync(scratch, { recursive: true, force: true });
    if (previousKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previousKubeconfig;
  });

  it("answers the pod's log as text/plain, an earlier attempt by its number, and the last tailLines lines", async () => {
    const job = await ranJob(scheduler.url, { ...printing(3, { FAIL_FIRST_ATTEMPTS: '1', ATTEMPT_COUNTER_FILE: join(scratch, 'attempts') }), backoffLimit: 1 });
    expect(job.podStatuses).toHaveLength(2);

    expect(await getText(scheduler.url, `/api/v1/jobs/${job.name}/logs`)).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: lines(2, 1, 3) });
    expect((await getText(scheduler.url, `/api/v1/jobs/${job.name}/logs?attempt=1`)).text).toBe(lines(1, 1, 3));
    expect((await getText(scheduler.url, `/api/v1/jobs/${job.name}/logs?attempt=1&tailLines=1`)).text).toBe(lines(1, 3, 3));
  });

  it('follows a running pod until its container ends', async () => {
    const created = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', printing(5, { LINE_INTERVAL_MS: '400' }));
    await jobReaches(scheduler.url, created.body.name, 'Running');

    const followed = await followLogs(scheduler.url, created.body.name);

    expect(followed).toEqual({ status: 200, text: lines(1, 1, 5), jobStatusAtFirstChunk: 'Running' });
    expect((await jobReaches(scheduler.url, created.body.name, undefined, 10_000)).status).toBe('Succeeded');
  });

  it('is served by a process with the role api alone', async () => {
    const job = await ranJob(scheduler.url, printing(2));
    expect(await getText(apiAlone.url, `/api/v1/jobs/${job.name}/logs`)).toMatchObject({ status: 200, text: lines(1, 1, 2) });
  });

  it('answers 404 saying the logs went with the pod once the pod is gone', async () => {
    const job = await ranJob(scheduler.url, printing(1));
    const pod = job.podStatuses[0].name;
    await fetch(`${kube.url}/api/v1/namespaces/${NAMESPACE}/pods/${pod}`, { method: 'DELETE' });
    await eventually(() => !kube.get('pods', NAMESPACE, pod), `pod ${pod} to be deleted`);

    const answer = await http<{ message: string }>(scheduler.url, 'GET', `/api/v1/jobs/${job.name}/logs`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 'Failure', reason: 'NotFound', code: 404 });
    expect(answer.body.message).toMatch(new RegExp(`^the logs of attempt 1 of job ${job.name} went with its pod ${pod}, which is gone from Kubernetes`));
  });

  it('answers 404 saying so for an attempt whose container has not started', async () => {
    const created = await http<JobStatusView>(scheduler.url, 'POST', '/api/v1/jobs', { variables: { UNSCHEDULABLE: 'yes' } });
    const active = await eventually(
      async () => {
        const { body } = await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${created.body.name}`);
        return body.podStatuses.length > 0 ? body : undefined;
      },
      'a pending pod',
    );
    expect(active.status).toBe('Active');

    expect(await http(scheduler.url, 'GET', `/api/v1/jobs/${created.body.name}/logs`)).toEqual({
      status: 404,
      body: { status: 'Failure', reason: 'NotFound', code: 404, message: `attempt 1 of job ${created.body.name} has not started yet: it has no logs` },
    });
    await http(scheduler.url, 'POST', `/api/v1/jobs/${created.body.name}/stop`);
  });
});

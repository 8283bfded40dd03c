import { JobAcceptor } from '@rjs/core';
import { AnnotationKey, componentSelector } from '@rjs/runtime';
import { basicAuth, expandHandOffsOf, LAUNCH_QUEUE, type OpsApp, startOpsApp } from '../ops/ops-app';
import type { LogCapture } from '../support/app-fixture';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import { TestRedis } from '../support/redis-server';
import { NAMESPACE, reliabilityFixture } from './reliability-fixture';
import { COMPONENT, countRuns, rawRequest, waitUntilFinal } from './reliability-support';
import { RedisKeys } from '@rjs/store';

/**
 * Security properties around the edges. Kubernetes RBAC (namespaced, minimal verbs) is checked in
 * test/deploy; Bull Board's reads in test/ops/bull-board.e2e-spec.ts. Here: Bull Board's actions,
 * user text that must never reach labels or selectors, and payloads and variables that stay out of
 * logs and leave Redis at launch.
 */

/** Label values as Kubernetes accepts them. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const HOSTILE = ['a,b=c', 'x!=y', 'env in (prod, dev)', 'job name with spaces', '!', 'k=v,radix-job-scheduler/component=other', '="\'\\'];

describe('security', () => {
  describe('Bull Board actions', () => {
    let redis: TestRedis;
    let ops: OpsApp;
    let readOnly: OpsApp;
    let jobName: string;

    /** Every route of Bull Board's API that changes a queue or a job. */
    const actions = (job: string): [string, string][] => [
      ['PUT', '/api/queues/pause'],
      ['PUT', '/api/queues/resume'],
      ['POST', `/api/queues/${LAUNCH_QUEUE}/add`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/retry/failed`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/promote`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/clean/waiting`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/pause`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/concurrency`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/rate-limit`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/empty`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/obliterate`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/${job}/retry`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/${job}/clean`],
      ['PUT', `/api/queues/${LAUNCH_QUEUE}/${job}/promote`],
      ['PATCH', `/api/queues/${LAUNCH_QUEUE}/${job}/update-data`],
      ['PATCH', `/api/queues/${LAUNCH_QUEUE}/${job}/delay`],
      ['PATCH', `/api/queues/${LAUNCH_QUEUE}/${job}/priority`],
      ['POST', '/api/metrics/history/purge'],
    ];

    const send = (app: OpsApp, method: string, path: string, authorization?: string) =>
      fetch(`${app.url}/admin/queues${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ name: 'launch', data: { jobName: 'injected' }, concurrency: 1, max: 1, duration: 1000, delay: 1, priority: 1 }),
      });

    /** The queued launch work is still there, untouched, and the queue runs (launches wait as prioritized: job priorities). */
    async function expectQueueUntouched(app: OpsApp) {
      const response = await fetch(`${app.url}/admin/queues/api/queues?activeQueue=${LAUNCH_QUEUE}&status=prioritized&page=1&jobsPerPage=50`, {
        headers: { authorization: basicAuth('operator', 'right') },
      });
      const body = (await response.json()) as { queues: { name: string; isPaused: boolean; jobs: { id: string }[] }[] };
      const queue = body.queues.find((q) => q.name === LAUNCH_QUEUE)!;
      expect(queue.isPaused).toBe(false);
      expect(queue.jobs.map((j) => j.id)).toEqual([jobName]);
    }

    beforeAll(async () => {
      redis = await TestRedis.start();
      ops = await startOpsApp(redis.url, { BULL_BOARD_USER: 'operator', BULL_BOARD_PASSWORD: 'right' });
      readOnly = await startOpsApp(redis.url);
      const { jobs, handedOff } = await ops.app.get(JobAcceptor).acceptJob({ payload: 'queued' });
      await handedOff;
      await expandHandOffsOf(ops);
      jobName = jobs[0].name;
    });

    afterAll(async () => {
      await Promise.all([ops?.close(), readOnly?.close()]);
      await redis?.stop();
    });

    it('refuses every action without the right credentials', async () => {
      for (const [method, path] of actions(jobName)) {
        for (const authorization of [undefined, basicAuth('operator', 'wrong'), basicAuth('', ''), 'Basic', `Bearer ${jobName}`]) {
          const response = await send(ops, method, path, authorization);
          expect({ method, path, authorization, status: response.status }).toEqual({ method, path, authorization, status: 401 });
        }
        await expectQueueUntouched(ops);
      }
    });

    it('refuses every action when no credentials are configured (read-only board)', async () => {
      const accepted: string[] = [];
      for (const [method, path] of actions(jobName)) {
        const response = await send(readOnly, method, path);
        if (response.status < 400 || response.status >= 500) accepted.push(`${method} ${path}: ${response.status}`);
        // Whatever the answer, nothing changed.
        await expectQueueUntouched(ops);
      }
      // Bull Board answers its pause-all and resume-all with 200 but skips read-only queues.
      expect(accepted).toEqual(['PUT /api/queues/pause: 200', 'PUT /api/queues/resume: 200']);
    });
  });

  describe('user text in Kubernetes objects, logs and Redis', () => {
    const fixture = reliabilityFixture({ name: 'security' });
    const { secret } = fixture;
    let fake: FakeKubernetesServer;
    let url: string;
    let logs: LogCapture;

    beforeAll(async () => {
      fake = await FakeKubernetesServer.start({ workDir: fixture.dir, terminationGraceMs: 500 });
      ({ url, logs } = await fixture.serveOnKubernetes(fake.kubeConfig(NAMESPACE), { watchBackoff: { initialMs: 50, maxMs: 500 } }));
    });

    fixture.beforeTeardown(async () => {
      await fake?.stop();
    });

    it('echoes jobId and batchId as given, never puts them in labels or selectors, and keeps payloads and variables out of logs', async () => {
      const { client, runsFile } = fixture;
      const finished = fixture.scratch.testStarted();
      const batchId = HOSTILE.join(' ');
      const answer = await rawRequest(
        url,
        'POST',
        '/api/v1/batches',
        JSON.stringify({
          batchId,
          defaultRadixJobComponentConfig: { variables: { API_TOKEN: `variable-${secret}` } },
          jobScheduleDescriptions: HOSTILE.map((jobId) => ({ jobId, payload: `payload-${secret}` })),
        }),
      );
      expect(answer.status).toBe(200);
      const batch = answer.json as { name: string; batchId: string; jobStatuses: { name: string; jobId: string }[] };
      expect(batch.batchId).toBe(batchId);
      expect(batch.jobStatuses.map((j) => j.jobId)).toEqual(HOSTILE);
      const names = batch.jobStatuses.map((j) => j.name);
      const records = await waitUntilFinal(client, names, 60_000);
      expect(records.map((r) => r.status)).toEqual(HOSTILE.map(() => 'Succeeded'));
      expect([...countRuns(runsFile).keys()].sort()).toEqual([...names].sort());

      // Echoed exactly by the API.
      for (const [i, name] of names.entries()) {
        const view = await rawRequest(url, 'GET', `/api/v1/jobs/${name}`);
        expect((view.json as { jobId: string }).jobId).toBe(HOSTILE[i]);
      }
      expect(((await rawRequest(url, 'GET', `/api/v1/batches/${batch.name}`)).json as { batchId: string }).batchId).toBe(batchId);

      // Labels are built from generated names only: valid values, no caller text.
      const objects = [...fake.list('jobs', NAMESPACE), ...fake.list('pods', NAMESPACE), ...fake.list('secrets', NAMESPACE)];
      expect(objects.length).toBeGreaterThanOrEqual(3 * HOSTILE.length);
      for (const object of objects) {
        for (const value of Object.values(object.metadata.labels ?? {})) {
          expect(value).toMatch(LABEL_VALUE);
          expect(value.length).toBeLessThanOrEqual(63);
          for (const text of HOSTILE) expect(value).not.toContain(text);
        }
      }
      // The caller's jobId travels as an annotation, which is free text.
      for (const [i, name] of names.entries()) {
        expect(fake.get('jobs', NAMESPACE, name)?.metadata.annotations?.[AnnotationKey.jobId]).toBe(HOSTILE[i]);
      }
      // The selector the runtime lists and watches with depends on the component only.
      expect(componentSelector(COMPONENT)).toBe('radix-job-scheduler/managed-by=radix-job-scheduler,radix-job-scheduler/component=compute');

      // The payload is in its payload key (kept with the record for restart and copy) and in the
      // runtime's Secret only: not in any other Redis key, not in the Job.
      const payloadKeys = new Set(names.map((name) => new RedisKeys(COMPONENT).payload(name)));
      expect((await client.keys(new RedisKeys(COMPONENT).payload('*'))).sort()).toEqual([...payloadKeys].sort());
      const otherKeys = (await client.keys('*')).filter((key) => !payloadKeys.has(key));
      const redisDump = JSON.stringify(await Promise.all(otherKeys.map(async (key) => [key, await client.dump(key)])));
      expect(redisDump).not.toContain(`payload-${secret}`);
      for (const name of names) expect(JSON.stringify(fake.get('jobs', NAMESPACE, name))).not.toContain(`payload-${secret}`);

      // Nothing the caller sent as payload or variable value appears in the service's logs.
      expect(logs.raw.length).toBeGreaterThan(10);
      expect(fixture.leaks(logs.raw.join('\n'))).toEqual([]);
      finished();
    });
  });
});

import { JobAcceptor } from '@rjs/core';
import { TestRedis } from '../support/redis-server';
import { basicAuth, CONTROL_QUEUE, DISPATCH_QUEUE, expandHandOffsOf, LAUNCH_QUEUE, NOTIFICATION_QUEUE, type OpsApp, startOpsApp } from './ops-app';

interface QueuesBody {
  queues: { name: string; readOnlyMode: boolean; jobs: { id: string; data: unknown }[] }[];
}

/** Bull Board's own API, which its page calls: the queues with the jobs of the given status (launches wait as prioritized: job priorities). */
const queuesApi = (url: string) => `${url}/admin/queues/api/queues?activeQueue=${LAUNCH_QUEUE}&status=prioritized&page=1&jobsPerPage=10`;

describe('Bull Board', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(() => redis?.stop());

  // Its modules are not even loaded there (benchmark 9b: a watcher's memory).
  it('is not served by a process with the role watcher alone, nor is the OpenAPI document; health is', async () => {
    await redis.flush();
    const ops = await startOpsApp(redis.url, { ROLES: 'watcher' });
    try {
      expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${ops.url}/admin/queues`)).status).toBe(404);
      expect((await fetch(`${ops.url}/admin/queues/api/queues`)).status).toBe(404);
      expect((await fetch(`${ops.url}/swagger/json`)).status).toBe(404);
      expect((await fetch(`${ops.url}/api/v1/jobs`)).status).toBe(404);
    } finally {
      await ops.close();
    }
  });

  describe('with credentials configured', () => {
    let ops: OpsApp;
    const auth = basicAuth('operator', 's3cret:with-colon');

    beforeAll(async () => {
      await redis.flush();
      ops = await startOpsApp(redis.url, { BULL_BOARD_USER: 'operator', BULL_BOARD_PASSWORD: 's3cret:with-colon' });
      await (await ops.app.get(JobAcceptor).acceptJob({ payload: 'job data' })).handedOff;
      await expandHandOffsOf(ops);
    });
    afterAll(() => ops?.close());

    it.each([
      ['the board page', '/admin/queues'],
      ['a queue page', `/admin/queues/queue/${LAUNCH_QUEUE}`],
      ['its API', '/admin/queues/api/queues'],
      ['its static files', '/admin/queues/static/images/logo.svg'],
      ['an unknown path below it', '/admin/queues/no/such/page'],
      ['a percent-encoded spelling of its API', '/admin/%71ueues/api/queues'],
    ])('asks for basic auth on %s', async (_what, path) => {
      for (const authorization of [undefined, basicAuth('operator', 'wrong'), basicAuth('someone', 's3cret:with-colon'), 'Bearer x']) {
        const response = await fetch(`${ops.url}${path}`, { headers: authorization ? { authorization } : {} });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="Bull Board"/);
      }
    });

    it('serves the board, its files and the queues of the service (dispatch, launch, control, notifications) with their job data to the operator', async () => {
      const page = await fetch(`${ops.url}/admin/queues`, { headers: { authorization: auth } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect((await fetch(`${ops.url}/admin/queues/static/images/logo.svg`, { headers: { authorization: auth } })).status).toBe(200);

      const api = await fetch(queuesApi(ops.url), { headers: { authorization: auth } });
      expect(api.status).toBe(200);
      const body = (await api.json()) as QueuesBody;
      expect(body.queues.map((q) => q.name).sort()).toEqual([CONTROL_QUEUE, DISPATCH_QUEUE, LAUNCH_QUEUE, NOTIFICATION_QUEUE]);
      const launch = body.queues.find((q) => q.name === LAUNCH_QUEUE)!;
      expect(launch.readOnlyMode).toBe(false);
      expect(launch.jobs).toHaveLength(1);
      expect(launch.jobs[0].data).toEqual({ jobName: launch.jobs[0].id });
    });

    it('leaves the service API and probes without auth', async () => {
      expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${ops.url}/metrics`)).status).toBe(200);
    });
  });

  describe('without credentials', () => {
    let ops: OpsApp;

    beforeAll(async () => {
      await redis.flush();
      ops = await startOpsApp(redis.url);
      await (await ops.app.get(JobAcceptor).acceptJob({ payload: 'job data' })).handedOff;
      await expandHandOffsOf(ops);
    });
    afterAll(() => ops?.close());

    it('is open but read-only, with job data redacted', async () => {
      expect((await fetch(`${ops.url}/admin/queues`)).status).toBe(200);
      const body = (await (await fetch(queuesApi(ops.url))).json()) as QueuesBody;
      expect(body.queues.map((q) => q.name).sort()).toEqual([CONTROL_QUEUE, DISPATCH_QUEUE, LAUNCH_QUEUE, NOTIFICATION_QUEUE]);
      expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
      const [job] = body.queues.find((q) => q.name === LAUNCH_QUEUE)!.jobs;
      expect(job.data).toBe('[redacted]');

      const single = await fetch(`${ops.url}/admin/queues/api/queues/${LAUNCH_QUEUE}/${job.id}`);
      expect(single.status).toBe(200);
      expect(((await single.json()) as { job: { data: unknown } }).job.data).toBe('[redacted]');
    });

    it('refuses changes to the queues', async () => {
      const pause = await fetch(`${ops.url}/admin/queues/api/queues/${LAUNCH_QUEUE}/pause`, { method: 'PUT' });
      expect(pause.status).toBe(405);
      const clean = await fetch(`${ops.url}/admin/queues/api/queues/${LAUNCH_QUEUE}/empty`, { method: 'PUT' });
      expect(clean.status).toBe(405);
      const after = (await (await fetch(queuesApi(ops.url))).json()) as QueuesBody;
      expect(after.queues.find((q) => q.name === LAUNCH_QUEUE)!.jobs).toHaveLength(1);
    });
  });
});

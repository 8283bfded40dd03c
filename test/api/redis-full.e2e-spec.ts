import type Redis from 'ioredis';
import { STORE_FULL_MESSAGE } from '../../apps/api/src/api-exception.filter';
import { STORE_ROOM_CHECK } from '../../apps/api/src/store-room.readiness';
import { fillRedis, redisSnapshot, TestRedis } from '../support/redis-server';
import { type ApiApp, call, postBatch, postJob, startApi } from './api-app';

const MAX_MEMORY = 32 * 1024 * 1024;

interface ReadinessBody {
  status: string;
  details: Record<string, { status: string; message?: string }>;
}

/**
 * The API against a real redis-server with a small maxmemory and noeviction, as deployed, once it is
 * full: accepts answer 503 saying so and write nothing, reads go on, /readyz and a metric say why,
 * and accepts work again without a restart once there is room.
 */
describe('the API while Redis is full', () => {
  let redis: TestRedis;
  let client: Redis;
  let api: ApiApp;
  let jobName: string;

  beforeAll(async () => {
    redis = await TestRedis.start({ maxMemory: String(MAX_MEMORY) });
    client = redis.client();
    api = await startApi(redis.url, 'compute');
    jobName = (await postJob(api, { payload: 'before' })).body.name;
    await postJob(api, {});
    // At rest: what was accepted is launch work (a worker's part, done here: BullMQ's add needs room).
    await api.handedOff();
  });
  afterAll(async () => {
    await client?.quit();
    await api?.close();
    await redis?.stop();
  });

  const full = { status: 'Failure', message: STORE_FULL_MESSAGE, reason: 'ServiceUnavailable', code: 503 };
  const readiness = async () => {
    const response = await fetch(`${api.url}/readyz`);
    return { code: response.status, body: (await response.json()) as ReadinessBody };
  };
  const refusals = async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    return Number(/^rjs_store_full_refusals_total (\d+)$/m.exec(text)?.[1]);
  };
  const freeBallast = async () => client.del(await client.keys('ballast:*'));

  it('is ready while there is room', async () => {
    const { code, body } = await readiness();
    expect(code).toBe(200);
    expect(body.details[STORE_ROOM_CHECK]).toMatchObject({ status: 'up' });
    expect(body.details[STORE_ROOM_CHECK]).not.toHaveProperty('message');
    expect(await refusals()).toBe(0);
  });

  describe('once full', () => {
    beforeAll(() => fillRedis(client));
    afterAll(freeBallast);

    it('answers accepts with 503 saying the status store is full, and writes nothing of them', async () => {
      const before = await redisSnapshot(client);
      expect(await postJob(api, { payload: 'x'.repeat(1000) })).toMatchObject({ status: 503, body: full });
      expect(await postJob(api, {})).toMatchObject({ status: 503, body: full });
      expect(await postBatch(api, { jobScheduleDescriptions: [{ payload: 'a' }, { payload: 'b' }] })).toMatchObject({ status: 503, body: full });
      expect(await redisSnapshot(client)).toEqual(before);
      expect(await refusals()).toBe(3);
    });

    it('serves reads', async () => {
      expect(await call(api.url, 'GET', `/api/v1/jobs/${jobName}`)).toMatchObject({ status: 200, body: { name: jobName, status: 'Waiting' } });
      const list = await call<{ name: string }[]>(api.url, 'GET', '/api/v1/jobs');
      expect(list.status).toBe(200);
      expect(list.body.map((job) => job.name)).toContain(jobName);
      expect((await call(api.url, 'GET', '/api/v1/batches')).status).toBe(200);
    });

    it('says why in /readyz, and stays ready (reads and deletes go on)', async () => {
      const { code, body } = await readiness();
      expect(code).toBe(200);
      expect(body.details.redis).toMatchObject({ status: 'up' });
      expect(body).toMatchObject({ status: 'degraded' });
      expect(body.details[STORE_ROOM_CHECK]).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/^Redis is out of memory \(\d+ bytes used, maxmemory 33554432\): new jobs are refused with 503/),
      });
    });

    it('still deletes, which frees memory', async () => {
      expect(await call(api.url, 'DELETE', `/api/v1/jobs/${jobName}`)).toMatchObject({ status: 200, body: { status: 'Success' } });
      expect((await call(api.url, 'GET', `/api/v1/jobs/${jobName}`)).status).toBe(404);
    });
  });

  it('accepts again, without a restart, once records are removed', async () => {
    await fillRedis(client);
    expect((await postJob(api, {})).status).toBe(503);
    // The ballast stands for finished records that retention removes.
    await freeBallast();
    expect(await postJob(api, { payload: 'after' })).toMatchObject({ status: 200, body: { status: 'Waiting' } });
    expect(await readiness()).toMatchObject({ code: 200, body: { details: { [STORE_ROOM_CHECK]: { status: 'up' } } } });
  });

  it('accepts again, without a restart, once maxmemory is raised', async () => {
    await fillRedis(client);
    expect((await postJob(api, {})).status).toBe(503);
    expect((await readiness()).body.details[STORE_ROOM_CHECK]).toMatchObject({ status: 'degraded', message: expect.stringContaining('out of memory') });
    await client.config('SET', 'maxmemory', String(4 * MAX_MEMORY));
    expect(await postJob(api, { payload: 'after' })).toMatchObject({ status: 200, body: { status: 'Waiting' } });
    expect(await readiness()).toMatchObject({ code: 200, body: { details: { [STORE_ROOM_CHECK]: { status: 'up' } } } });
    await freeBallast();
  });
});

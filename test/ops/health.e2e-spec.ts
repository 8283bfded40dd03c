import { Readiness } from '@rjs/platform';
import { eventually } from '../support/eventually';
import type { TestRedis } from '../support/redis-server';
import { type OpsApp, withOpsApp } from './ops-app';

interface HealthBody {
  status: string;
  info?: Record<string, { status: string; message?: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

async function probe(url: string): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

describe('health and readiness', () => {
  let redis: TestRedis;
  let ops: OpsApp;
  withOpsApp({}, (bed) => {
    ({ redis, ops } = bed);
  });

  const readyzAnswers = (status: number) =>
    eventually(async () => {
      const answer = await probe(`${ops.url}/readyz`);
      return answer.status === status && answer;
    }, `/readyz to answer ${status}`);

  it('answers liveness while the process runs', async () => {
    expect(await probe(`${ops.url}/healthz`)).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
  });

  it('is ready while Redis answers', async () => {
    const { status, body } = await probe(`${ops.url}/readyz`);
    expect(status).toBe(200);
    expect(body.info?.redis).toMatchObject({ status: 'up' });
  });

  it('reports 503 naming Redis while Redis is down, stays live, and is ready again once Redis is back', async () => {
    await redis.kill();
    const down = await readyzAnswers(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error?.redis).toMatchObject({ status: 'down' });
    expect((await probe(`${ops.url}/healthz`)).status).toBe(200);

    await redis.restart();
    const up = await readyzAnswers(200);
    expect(up.body.info?.redis).toMatchObject({ status: 'up' });
  });

  it('runs the checks that role modules register and lists the failing ones', async () => {
    const readiness = ops.app.get(Readiness);
    let workersRunning = false;
    readiness.register('BullMQ workers running', () => workersRunning);
    readiness.register('informers synced', async () => {
      throw new Error('watch not started');
    });

    const notReady = await probe(`${ops.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.body.error).toEqual({
      'BullMQ workers running': expect.objectContaining({ status: 'down', message: 'not ready' }),
      'informers synced': expect.objectContaining({ status: 'down', message: 'watch not started' }),
    });
    expect(notReady.body.info?.redis).toMatchObject({ status: 'up' });
    expect(() => readiness.register('informers synced', () => true)).toThrow(/already registered/);

    workersRunning = true;
    const stillOneDown = await probe(`${ops.url}/readyz`);
    expect(stillOneDown.status).toBe(503);
    expect(Object.keys(stillOneDown.body.error ?? {})).toEqual(['informers synced']);
    expect(stillOneDown.body.info?.['BullMQ workers running']).toMatchObject({ status: 'up' });
  });
});

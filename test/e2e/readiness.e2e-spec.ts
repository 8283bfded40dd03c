import { TestRedis } from '../support/redis-server';
import { eventually } from '../support/eventually';
import { killQueueWorkers } from '../worker/worker-app';
import { type SchedulerApp, startScheduler } from './scheduler-app';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

interface Readiness {
  status: string;
  details: Record<string, { status: string }>;
}

describe('readiness of the worker role', () => {
  let redis: TestRedis;
  let scheduler: SchedulerApp;

  beforeAll(async () => {
    redis = await TestRedis.start();
    scheduler = await startScheduler({ RADIX_CONFIG: join(ROOT, 'radixconfig.yaml'), REDIS_URL: redis.url, LOCAL_WORK_DIR: join(redis.dir, 'jobs') });
  });
  afterAll(async () => {
    await scheduler?.close();
    await redis?.stop();
  });

  const readiness = async () => {
    const response = await fetch(`${scheduler.url}/readyz`);
    return { code: response.status, body: (await response.json()) as Readiness };
  };

  it('is ready while Redis answers, the runtime is observed and the BullMQ workers run', async () => {
    const { code, body } = await eventually(async () => {
      const answer = await readiness();
      return answer.code === 200 ? answer : undefined;
    }, 'the scheduler to be ready');
    expect(code).toBe(200);
    expect(body.details).toMatchObject({
      redis: { status: 'up' },
      'local runtime observed': { status: 'up' },
      'BullMQ workers running': { status: 'up' },
    });
  });

  it('is not ready once its BullMQ workers stopped', async () => {
    await killQueueWorkers(scheduler.app);
    const { code, body } = await readiness();
    expect(code).toBe(503);
    expect(body.details['BullMQ workers running'].status).toBe('down');
  });
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { STORE_UNAVAILABLE_MESSAGE } from '../../apps/api/src/api-exception.filter';
import { serveApiRole } from '../support/app-fixture';
import { type TestRedisCluster, withRedisCluster } from '../support/redis-cluster';
import { call, RADIX_CONFIG } from './api-app';

/** On a Redis Cluster (REDIS_CLUSTER_NODES) that goes away, the API answers 503 as it does for one Redis. */
describe('the API while its Redis Cluster is down', () => {
  let cluster: TestRedisCluster;
  let app: NestFastifyApplication;
  let url: string;
  let jobName: string;

  withRedisCluster(async (bed) => {
    cluster = bed.cluster;
    ({ app, url } = await serveApiRole({ RADIX_CONFIG, JOB_COMPONENT: 'compute', ...cluster.env }));
    bed.closeAfter(() => app.close());
    const accepted = await call<{ name: string }>(url, 'POST', '/api/v1/jobs', { json: {} });
    expect(accepted.status).toBe(200);
    jobName = accepted.body.name;
    // Every master killed with -9.
    await cluster.stop();
  });

  it.each([
    ['POST', '/api/v1/jobs'],
    ['GET', '/api/v1/jobs'],
    ['GET', '/api/v1/jobs/JOB'],
    ['DELETE', '/api/v1/jobs/JOB'],
  ] as const)('%s %s answers 503 with the Failure body', async (method, path) => {
    const answer = await call(url, method, path.replace('JOB', jobName), method === 'POST' ? { json: {} } : undefined);
    expect(answer).toMatchObject({ status: 503, body: { status: 'Failure', message: STORE_UNAVAILABLE_MESSAGE, reason: 'ServiceUnavailable', code: 503 } });
  });
});

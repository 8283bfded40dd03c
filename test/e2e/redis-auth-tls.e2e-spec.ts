import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { JobStatusView } from '@rjs/core';
import { loadConfig } from '@rjs/config';
import { createLogger } from '@rjs/platform';
import { STORE_UNAVAILABLE_MESSAGE } from '../../apps/api/src/api-exception.filter';
import { createScheduler } from '../../apps/scheduler/src/bootstrap';
import { LogCapture, redisConnected } from '../support/app-fixture';
import { TestRedisCluster } from '../support/redis-cluster';
import { TestRedis } from '../support/redis-server';
import { makeTestTls, type TestTls } from '../support/tls-certs';
import { unusedRuntime } from '../support/unused-runtime';
import { writeJobProgramConfig } from '../worker/worker-app';
import { http, jobReaches } from './scheduler-app';

/**
 * Managed Redis as Azure Cache for Redis, ElastiCache or Memorystore run it: a cluster that wants a
 * password, over TLS with a certificate of a private CA (REDIS_TLS_CA_FILE), and one Redis at
 * rediss://. The whole scheduler (api, worker, watcher; local runtime) runs a job on each; a wrong
 * password or an untrusted certificate leaves it unready (503), and no log line holds the password.
 */
describe('Redis with a password and TLS', () => {
  let tls: TestTls;

  beforeAll(() => {
    tls = makeTestTls();
  });

  afterAll(() => {
    tls.remove();
  });

  interface Started {
    app: NestFastifyApplication;
    url: string;
    logs: LogCapture;
  }

  /** The scheduler configured by `env`, its logs captured from debug up; `connected` waits for its Redis client. */
  async function start(env: Record<string, string>, { connected }: { connected: boolean }): Promise<Started> {
    const dir = mkdtempSync(join(tls.dir, 'app-'));
    const config = loadConfig({
      RADIX_CONFIG: writeJobProgramConfig(dir),
      LOCAL_WORK_DIR: join(dir, 'work'),
      JOB_RUNTIME: 'local',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      ...env,
    });
    const logs = new LogCapture();
    const app = await createScheduler(config, { logger: createLogger(config, logs), ...(config.roles.includes('worker') ? {} : { runtime: unusedRuntime() }) });
    await app.listen(0, '127.0.0.1');
    if (connected) await redisConnected(app);
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('the app did not listen on a TCP port');
    return { app, url: `http://127.0.0.1:${address.port}`, logs };
  }

  async function runsAJob(url: string): Promise<void> {
    const created = await http<JobStatusView>(url, 'POST', '/api/v1/jobs', { jobId: 'over-tls' });
    expect(created.status).toBe(200);
    expect(await jobReaches(url, created.body.name)).toMatchObject({ status: 'Succeeded', jobId: 'over-tls' });
    expect((await http(url, 'GET', '/readyz')).status).toBe(200);
  }

  /** Not ready, and the API answers 503 "try again": a client of a scheduler that cannot get into Redis. */
  async function unavailable(url: string): Promise<void> {
    const ready = await http<{ status: string; error?: Record<string, unknown> }>(url, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 503, body: { status: 'error', error: { redis: { status: 'down' } } } });
    const post = await http(url, 'POST', '/api/v1/jobs', {});
    expect(post).toMatchObject({ status: 503, body: { message: STORE_UNAVAILABLE_MESSAGE, code: 503 } });
  }

  describe('a Redis Cluster with requirepass, TLS only (REDIS_CLUSTER_PASSWORD, REDIS_CLUSTER_TLS, REDIS_TLS_CA_FILE)', () => {
    const password = randomBytes(16).toString('hex');
    let cluster: TestRedisCluster;

    beforeAll(async () => {
      cluster = await TestRedisCluster.start({ password, tls });
    }, 60_000);

    afterAll(async () => {
      await cluster.stop();
    });

    it('runs a job end to end (API, queues, worker, store) and logs no password', async () => {
      const scheduler = await start(cluster.env, { connected: true });
      try {
        await runsAJob(scheduler.url);
      } finally {
        await scheduler.app.close();
      }
      expect(scheduler.logs.raw.length).toBeGreaterThan(0);
      expect(scheduler.logs.raw.join('\n')).not.toContain(password);
    });

    it('is not ready, and answers 503, with a wrong password; the log holds neither password', async () => {
      const wrong = randomBytes(16).toString('hex');
      const scheduler = await start({ ...cluster.env, REDIS_CLUSTER_PASSWORD: wrong, ROLES: 'api' }, { connected: false });
      try {
        await unavailable(scheduler.url);
      } finally {
        await scheduler.app.close();
      }
      const logged = scheduler.logs.raw.join('\n');
      expect(logged).not.toContain(wrong);
      expect(logged).not.toContain(password);
    });

    it("is not ready without REDIS_TLS_CA_FILE: the system's CAs do not trust the cluster's certificate", async () => {
      const { REDIS_TLS_CA_FILE: _unused, ...withoutCa } = cluster.env;
      const scheduler = await start({ ...withoutCa, ROLES: 'api' }, { connected: false });
      try {
        await unavailable(scheduler.url);
      } finally {
        await scheduler.app.close();
      }
    });
  });

  describe('one Redis at rediss:// (REDIS_URL, REDIS_TLS_CA_FILE)', () => {
    let redis: TestRedis;

    beforeAll(async () => {
      redis = await TestRedis.start({ tls });
    });

    afterAll(async () => {
      await redis.stop();
    });

    it('runs a job end to end: the API and the workers (their own BullMQ connection) trust the CA file', async () => {
      expect(redis.url).toMatch(/^rediss:\/\//);
      const scheduler = await start({ REDIS_URL: redis.url, REDIS_TLS_CA_FILE: tls.caFile }, { connected: true });
      try {
        await runsAJob(scheduler.url);
      } finally {
        await scheduler.app.close();
      }
    });

    it('is not ready without REDIS_TLS_CA_FILE', async () => {
      const scheduler = await start({ REDIS_URL: redis.url, ROLES: 'api' }, { connected: false });
      try {
        await unavailable(scheduler.url);
      } finally {
        await scheduler.app.close();
      }
    });
  });
});

import 'reflect-metadata';
import { once } from 'node:events';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import { loadConfig } from '@rjs/config';
import { createScheduler } from '../../apps/scheduler/src/bootstrap';
import { REDIS } from '@rjs/platform';
import { BENCH_RADIX_CONFIG } from '../support/paths';
import { runService } from '../support/service-main';

export interface SchedulerServiceOptions {
  redisUrl: string;
  /** ROLES, e.g. `api` or `api,watcher`. */
  roles: string;
  /** More environment for loadConfig: JOB_RUNTIME, KUBECONFIG, KUBE_API_QPS, LOCAL_MAX_RUNNING... */
  env?: Record<string, string>;
}

let app: NestFastifyApplication | undefined;

/**
 * The real scheduler, built as main.ts builds it (createScheduler from the environment, the runtime
 * JOB_RUNTIME selects), with the roles a benchmark asks for and production logging: JSON at info
 * to stdout (which the parent sends to a file).
 */
runService<SchedulerServiceOptions>({
  async start(options) {
    const config = loadConfig({
      RADIX_CONFIG: BENCH_RADIX_CONFIG,
      REDIS_URL: options.redisUrl,
      ROLES: options.roles,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      NODE_ENV: 'production',
      ...options.env,
    });
    if (options.env?.KUBECONFIG) process.env.KUBECONFIG = options.env.KUBECONFIG;
    app = await createScheduler(config);
    await app.listen(0, '127.0.0.1');
    const redis = app.get<Redis>(REDIS);
    if (redis.status !== 'ready') await once(redis, 'ready');
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('the scheduler did not listen on a TCP port');
    return { url: `http://127.0.0.1:${address.port}` };
  },
  async stop() {
    await app?.close();
  },
});

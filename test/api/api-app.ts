import { once } from 'node:events';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { type AppConfig, loadConfig } from '@rjs/config';
import type { BatchStatusView, JobStatusView, StatusStore } from '@rjs/core';
import { controlQueueName, launchQueueName } from '@rjs/queue';
import { createScheduler } from '../../apps/scheduler/src/bootstrap';
import { createLogger } from '@rjs/platform';
import { REDIS, STATUS_STORE } from '@rjs/platform';
import { unusedRuntime } from '../support/unused-runtime';

export const RADIX_CONFIG = join(__dirname, '../fixtures/api-radixconfig.yaml');
export const JOB_NAME = /^batch-compute-\d{14}-[a-z0-9]{8}-[a-z0-9]{8}$/;
export const BATCH_NAME = /^batch-compute-\d{14}-[a-z0-9]{8}$/;

/** Log lines the app wrote, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

export interface ApiApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  store: StatusStore;
  logs: LogCapture;
  /** The component's BullMQ queues, to look for queued work. */
  launchQueue: Queue;
  controlQueue: Queue;
  close(): Promise<void>;
}

/**
 * The scheduler with the api role only (no worker: jobs stay Waiting) on a real port. Its runtime
 * fails any call, which proves that the API never reaches a runtime.
 */
export async function startApi(redisUrl: string, component = 'compute', env: Record<string, string> = {}): Promise<ApiApp> {
  const config = loadConfig({
    RADIX_CONFIG,
    JOB_COMPONENT: component,
    REDIS_URL: redisUrl,
    ROLES: 'api',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...env,
  });
  const logs = new LogCapture();
  const app = await createScheduler(config, { runtime: unusedRuntime(), logger: createLogger(config, logs) });
  await app.listen(0, '127.0.0.1');
  // The client fails fast while it connects (no offline queue); a deployment waits for /readyz.
  const client = app.get<Redis>(REDIS);
  if (client.status !== 'ready') await once(client, 'ready');
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the app did not listen on a TCP port');
  const connection = { url: redisUrl, maxRetriesPerRequest: 1 };
  const launchQueue = new Queue(launchQueueName(config.component.name), { connection });
  const controlQueue = new Queue(controlQueueName(config.component.name), { connection });
  // Connection errors while a test keeps Redis down are expected; the assertions say what matters.
  for (const queue of [launchQueue, controlQueue]) queue.on('error', () => undefined);
  return {
    app,
    config,
    url: `http://127.0.0.1:${address.port}`,
    store: app.get<StatusStore>(STATUS_STORE),
    logs,
    launchQueue,
    controlQueue,
    close: async () => {
      await Promise.all([launchQueue.close(), controlQueue.close()]);
      await app.close();
    },
  };
}

export interface Answer<T = unknown> {
  status: number;
  contentType: string | null;
  body: T;
}

type Body = { json: unknown } | { raw: string | Buffer; contentType?: string } | undefined;

/** One real HTTP request; a JSON answer is parsed. */
export async function call<T = unknown>(base: string, method: string, path: string, body?: Body): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  let payload: string | Buffer | undefined;
  if (body && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body) {
    if (body.contentType) headers['content-type'] = body.contentType;
    payload = body.raw;
  }
  const response = await fetch(base + path, { method, headers, body: payload });
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  return { status: response.status, contentType, body: (contentType?.includes('json') ? JSON.parse(text) : text) as T };
}

export const postJob = (api: ApiApp, json: unknown) => call<JobStatusView>(api.url, 'POST', '/api/v1/jobs', { json });
export const postBatch = (api: ApiApp, json: unknown) => call<BatchStatusView>(api.url, 'POST', '/api/v1/batches', { json });

export { redisSnapshot } from '../support/redis-server';

/** The resolved job as stored: what a worker would hand to the runtime. */
export async function storedSpec(client: Redis, component: string, jobName: string): Promise<Record<string, unknown>> {
  const spec = await client.hget(`rjs:${component}:job:${jobName}`, 'spec');
  if (!spec) throw new Error(`no stored spec for ${jobName}`);
  return JSON.parse(spec) as Record<string, unknown>;
}

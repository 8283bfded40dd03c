import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { AppConfig } from '@rjs/config';
import { type BatchStatusView, DispatchExpansion, JobAcceptor, type JobStatusView, type StatusStore } from '@rjs/core';
import type { DispatchWork } from '@rjs/queue';
import { STATUS_STORE } from '@rjs/platform';
import { ComponentQueues, expandHandOffs, type LogCapture, serveApiRole } from '../support/app-fixture';
import { type TestRedis, withRedis } from '../support/redis-server';
import { RedisKeys } from '@rjs/store';

export const RADIX_CONFIG = join(__dirname, '../fixtures/api-radixconfig.yaml');
export const JOB_NAME = /^batch-compute-\d{14}-[a-z0-9]{8}-[a-z0-9]{8}$/;
export const BATCH_NAME = /^batch-compute-\d{14}-[a-z0-9]{8}$/;

export interface ApiApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  store: StatusStore;
  logs: LogCapture;
  /** The component's BullMQ queues, to look for queued work. */
  readonly launchQueue: Queue;
  /** Where the api role hands accepted jobs to the workers (one entry per hand-off). */
  readonly dispatchQueue: Queue<DispatchWork>;
  readonly controlQueue: Queue;
  /**
   * Resolves once the jobs this app accepted are handed to the workers (it answers before that) and
   * those hand-offs are launch work: the test does the worker's part (DispatchExpansion), since the
   * api role runs no worker.
   */
  handedOff(): Promise<void>;
  close(): Promise<void>;
}

/** The api role (serveApiRole) for `component` of test/fixtures/api-radixconfig.yaml, with its store and queues at hand. */
export async function startApi(redisUrl: string, component = 'compute', env: Record<string, string> = {}): Promise<ApiApp> {
  const { app, url, config, logs } = await serveApiRole({ RADIX_CONFIG, JOB_COMPONENT: component, REDIS_URL: redisUrl, ...env });
  const queues = new ComponentQueues(config.component.name, { url: redisUrl, maxRetriesPerRequest: 1 });
  return {
    app,
    config,
    url,
    store: app.get<StatusStore>(STATUS_STORE),
    logs,
    get launchQueue() {
      return queues.launchQueue;
    },
    get dispatchQueue() {
      return queues.dispatchQueue;
    },
    get controlQueue() {
      return queues.controlQueue;
    },
    handedOff: async () => {
      await app.get(JobAcceptor).drain();
      await expandHandOffs(queues.dispatchQueue, app.get(DispatchExpansion));
    },
    close: async () => {
      await queues.close();
      await app.close();
    },
  };
}

export interface ApiTestBed {
  redis: TestRedis;
  /** A client for assertions, connected on first use. */
  readonly client: Redis;
  /** The api role for `compute`. */
  api: ApiApp;
  /** Another api app on the same Redis; it is closed with the others after the tests. */
  start(component: string, env?: Record<string, string>): Promise<ApiApp>;
}

/**
 * The set-up of the API tests, as jest hooks of the calling describe block: before its tests a
 * private Redis and the api role for `compute`, handed to `use` (which may start more apps or send
 * work first); after them, Redis up again if a test left it down (so that the apps close cleanly),
 * then all of it closed.
 */
export function withApi(use: (bed: ApiTestBed) => void | Promise<void>): void {
  withRedis(async ({ redis, closeAfter }) => {
    let client: Redis | undefined;
    closeAfter(() => client?.quit());
    const start = async (component: string, env: Record<string, string> = {}) => {
      const app = await startApi(redis.url, component, env);
      closeAfter(() => app.close());
      return app;
    };
    const api = await start('compute');
    await use({
      redis,
      api,
      start,
      get client() {
        return (client ??= redis.client());
      },
    });
  });
}

export interface Answer<T = unknown> {
  status: number;
  contentType: string | null;
  body: T;
}

type Body = { json: unknown } | { raw: string | Buffer; contentType?: string } | undefined;

/** One real HTTP request; a JSON answer is parsed. */
export async function call<T = unknown>(base: string, method: string, path: string, body?: Body, extraHeaders: Record<string, string> = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...extraHeaders };
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
  const spec = await client.hget(new RedisKeys(component).job(jobName), 'spec');
  if (!spec) throw new Error(`no stored spec for ${jobName}`);
  return JSON.parse(spec) as Record<string, unknown>;
}

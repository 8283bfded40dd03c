import { once } from 'node:events';
import { Writable } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type ConnectionOptions, Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { type AppConfig, loadConfig } from '@rjs/config';
import type { DispatchExpansion } from '@rjs/core';
import { controlQueueName, dispatchQueueName, type DispatchWork, launchQueueName, queuePrefix } from '@rjs/queue';
import { createScheduler, type SchedulerOptions } from '../../apps/scheduler/src/bootstrap';
import { createLogger, type Logger } from '@rjs/platform';
import { REDIS } from '@rjs/platform';
import { createCluster, redisUrlOptions } from '@rjs/store';
import { unusedRuntime } from './unused-runtime';

/**
 * What the app helpers of test/api, test/ops, test/e2e, test/worker and the reliability tests build
 * on: the scheduler on a real port, its Redis connection awaited, the component's queues, its logs.
 */

/** Log lines an app wrote (pino JSON); tests read them instead of stdout. */
export class LogCapture extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get lines(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** Errors only, and nowhere: for tests that read statuses, not logs. */
export function quietLogger(config: AppConfig): Logger {
  return createLogger({ log: { ...config.log, level: 'error', format: 'json' } }, { write: () => undefined } as never);
}

/** Waits until the app's Redis client has connected: it fails fast (no offline queue) until then, as a deployment's /readyz would show. */
export async function redisConnected(context: INestApplicationContext): Promise<void> {
  const redis = context.get<Redis>(REDIS);
  if (redis.status !== 'ready') await once(redis, 'ready');
}

export interface ServedApp {
  app: NestFastifyApplication;
  /** http://127.0.0.1:<port> */
  url: string;
}

/** The scheduler built as main builds it (createScheduler), listening on a free port of 127.0.0.1, its Redis connected. */
export async function serveScheduler(config: AppConfig, options: SchedulerOptions = {}): Promise<ServedApp> {
  const app = await createScheduler(config, options);
  await app.listen(0, '127.0.0.1');
  await redisConnected(app);
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the app did not listen on a TCP port');
  return { app, url: `http://127.0.0.1:${address.port}` };
}

export interface ServedApiRole extends ServedApp {
  config: AppConfig;
  logs: LogCapture;
}

/**
 * The scheduler with the api role only (no worker: jobs stay Waiting), configured by `env` (JSON
 * logs from warn up unless it says otherwise), its logs captured. Its runtime fails any call, which
 * proves that the API never reaches a runtime.
 */
export async function serveApiRole(env: Record<string, string>): Promise<ServedApiRole> {
  const config = loadConfig({ ROLES: 'api', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env });
  const logs = new LogCapture();
  const served = await serveScheduler(config, { runtime: unusedRuntime(), logger: createLogger(config, logs) });
  return { ...served, config, logs };
}

/** Turns the hand-offs waiting in `queue` into launch work, oldest first, as a worker's DispatchProcessor does. */
export async function expandHandOffs(queue: Queue<DispatchWork>, expansion: DispatchExpansion): Promise<void> {
  for (let waiting = await queue.getWaiting(); waiting.length; waiting = await queue.getWaiting()) {
    for (const work of waiting.sort((a, b) => Number(a.id) - Number(b.id))) {
      await expansion.expand(work.data.jobNames, work.timestamp);
      await work.remove();
    }
  }
}

/**
 * The component's BullMQ queues, to look at queued work, opened on first use: a test that never
 * looks at them has no connections to close (closing one that is still reconnecting after a Redis
 * outage leaves ioredis's 2 s disconnect timer behind).
 */
export class ComponentQueues {
  private launch: Queue | undefined;
  private dispatch: Queue<DispatchWork> | undefined;
  private control: Queue | undefined;

  private cluster?: Cluster;

  constructor(
    private readonly component: string,
    private readonly connection: ConnectionOptions,
  ) {}

  /**
   * The queues of the component `config` names, on the Redis (or Redis Cluster) it points at. BullMQ
   * makes no Cluster from options: on a cluster they share one Cluster client, closed with them.
   */
  static of(config: AppConfig, maxRetriesPerRequest: number | null): ComponentQueues {
    if (!config.redisClusterNodes) return new ComponentQueues(config.component.name, { url: config.redisUrl, ...redisUrlOptions(config), maxRetriesPerRequest });
    const cluster = createCluster(config, { redisOptions: { maxRetriesPerRequest } });
    const queues = new ComponentQueues(config.component.name, cluster);
    queues.cluster = cluster;
    return queues;
  }

  get launchQueue(): Queue {
    return (this.launch ??= this.open(launchQueueName(this.component)));
  }

  /** The API's hand-offs, which a worker turns into launch work. */
  get dispatchQueue(): Queue<DispatchWork> {
    return (this.dispatch ??= this.open(dispatchQueueName(this.component)));
  }

  get controlQueue(): Queue {
    return (this.control ??= this.open(controlQueueName(this.component)));
  }

  async close(): Promise<void> {
    await Promise.all([this.launch?.close(), this.dispatch?.close(), this.control?.close()]);
    await this.cluster?.quit().catch(() => this.cluster?.disconnect());
  }

  private open<T>(name: string): Queue<T> {
    const queue = new Queue<T>(name, { connection: this.connection, prefix: queuePrefix(this.component) });
    // Connection errors while a test keeps Redis down are expected; the assertions say what matters.
    queue.on('error', () => undefined);
    return queue;
  }
}

import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DispatchExpansion } from '@rjs/core';
import { WORK_QUEUE } from '@rjs/platform';
import type { BullMqWorkQueue } from '@rjs/queue';
import { expandHandOffs, type LogCapture, serveApiRole } from '../support/app-fixture';
import { eventually } from '../support/eventually';
import { type TestRedis, withRedis } from '../support/redis-server';

export const RADIX_CONFIG = join(__dirname, '../../radixconfig.yaml');
export const COMPONENT = 'compute';
export const LAUNCH_QUEUE = `rjs-${COMPONENT}-launch`;
export const DISPATCH_QUEUE = `rjs-${COMPONENT}-dispatch`;
export const CONTROL_QUEUE = `rjs-${COMPONENT}-control`;
export const NOTIFICATION_QUEUE = `rjs-${COMPONENT}-notifications`;

export interface OpsApp {
  app: NestFastifyApplication;
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** The api role (serveApiRole) with the example radixconfig.yaml, against the given Redis; env adds or overrides variables. */
export async function startOpsApp(redisUrl: string, env: Record<string, string> = {}): Promise<OpsApp> {
  const { app, url, logs } = await serveApiRole({ RADIX_CONFIG, REDIS_URL: redisUrl, ...env });
  // Ready as Kubernetes would see it.
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz to answer 200');
  return { app, url, logs, close: () => app.close() };
}

/** A worker's part, which the api role does not run: the hand-offs waiting for it become launch work. */
export function expandHandOffsOf(ops: OpsApp): Promise<void> {
  return expandHandOffs(ops.app.get<BullMqWorkQueue>(WORK_QUEUE).dispatchQueue, ops.app.get(DispatchExpansion));
}

/** A private Redis and startOpsApp(env) for the tests of the calling describe block (withRedis), handed to `use`. */
export function withOpsApp(env: Record<string, string>, use: (bed: { redis: TestRedis; ops: OpsApp }) => void): void {
  withRedis(async ({ redis, closeAfter }) => {
    const ops = await startOpsApp(redis.url, env);
    closeAfter(() => ops.close());
    use({ redis, ops });
  });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

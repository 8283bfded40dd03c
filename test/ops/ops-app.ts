import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@rjs/config';
import { createScheduler } from '../../apps/scheduler/src/bootstrap';
import { createLogger } from '../../apps/scheduler/src/logging';
import { eventually } from '../support/eventually';
import { unusedRuntime } from '../support/unused-runtime';

export const RADIX_CONFIG = join(__dirname, '../../radixconfig.yaml');
export const COMPONENT = 'compute';
export const LAUNCH_QUEUE = `rjs-${COMPONENT}-launch`;
export const CONTROL_QUEUE = `rjs-${COMPONENT}-control`;

/** Log lines the app wrote, parsed; tests read them instead of stdout. */
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

export interface OpsApp {
  app: NestFastifyApplication;
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** The scheduler with role api on a real port, against the given Redis; env adds or overrides variables. */
export async function startOpsApp(redisUrl: string, env: Record<string, string> = {}): Promise<OpsApp> {
  const config = loadConfig({
    RADIX_CONFIG,
    REDIS_URL: redisUrl,
    ROLES: 'api',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...env,
  });
  const logs = new LogCapture();
  const app = await createScheduler(config, { runtime: unusedRuntime(), logger: createLogger(config, logs) });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the app did not listen on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  // The Redis client fails fast instead of queueing commands: wait until it is connected, as Kubernetes would.
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz to answer 200');
  return { app, url, logs, close: () => app.close() };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

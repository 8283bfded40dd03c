import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppConfig, loadConfig } from '@rjs/config';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { quietLogger, serveScheduler } from '../support/app-fixture';
import { eventually } from '../support/eventually';

export interface SchedulerApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  close(): Promise<void>;
}

/** The whole scheduler in one process (api, worker and watcher; local runtime) on a real port. */
export async function startScheduler(env: Record<string, string>): Promise<SchedulerApp> {
  const config = loadConfig({ ROLES: 'api,worker,watcher', JOB_RUNTIME: 'local', LOG_FORMAT: 'json', ...env });
  const { app, url } = await serveScheduler(config, { logger: quietLogger(config) });
  return { app, config, url, close: () => app.close() };
}

export interface Answer<T> {
  status: number;
  body: T;
}

/** One real HTTP request with fetch; JSON in, JSON out. */
export async function http<T = unknown>(base: string, method: string, path: string, json?: unknown): Promise<Answer<T>> {
  const response = await fetch(base + path, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const FINAL = ['Succeeded', 'Failed', 'Stopped'];

/** Polls GET /jobs/{name} until the job has the status (or any final one when none is given). */
export function jobReaches(base: string, name: string, status?: string, timeoutMs = 60_000): Promise<JobStatusView> {
  return eventually(
    async () => {
      const { body } = await http<JobStatusView>(base, 'GET', `/api/v1/jobs/${name}`);
      return (status ? body.status === status : FINAL.includes(body.status)) ? body : undefined;
    },
    `job ${name} to be ${status ?? 'final'}`,
    timeoutMs,
  );
}

export function batchReaches(base: string, name: string, timeoutMs = 60_000): Promise<BatchStatusView> {
  return eventually(
    async () => {
      const { body } = await http<BatchStatusView>(base, 'GET', `/api/v1/batches/${name}`);
      return FINAL.includes(body.status) ? body : undefined;
    },
    `batch ${name} to end`,
    timeoutMs,
  );
}

import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rjs/config';
import type { JobStatusView } from '@rjs/core';
import { createLogger } from '@rjs/platform';
import { RedisKeys } from '@rjs/store';
import { createScheduler } from '../apps/scheduler/src/bootstrap';
import { TestRedis } from '../test/support/redis-server';
import { ROOT } from './support/paths';

/**
 * How much Redis memory one finished job costs, for sizing Redis against RETENTION_SECONDS:
 * `npm run bench:record-memory`. The whole scheduler (api, worker, watcher; local runtime running
 * examples/job/main.js) runs real jobs through its HTTP API on a private redis-server; then
 * MEMORY USAGE (SAMPLES 0: exact) is read on each key of the finished records (the payload stays
 * with its record, for restart and copy), and the indexes'
 * growth is shared out per job. BullMQ's history of done work is left out: it is capped (1,000
 * entries, a day) whatever the number of records.
 */

const SMALL_PAYLOAD = JSON.stringify({ x: 1, y: 2 });
const MEGABYTE_PAYLOAD = 'x'.repeat(1024 * 1024);
const FINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

interface Figures {
  what: string;
  jobs: number;
  /** Bytes per job. */
  jobHash: number;
  batchRecord: number;
  payload: number;
  indexes: number;
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  const redis = await TestRedis.start();
  const workDir = mkdtempSync(join(tmpdir(), 'rjs-record-memory-'));
  const config = loadConfig({
    RADIX_CONFIG: join(ROOT, 'radixconfig.yaml'),
    REDIS_URL: redis.url,
    ROLES: 'api,worker,watcher',
    LOCAL_WORK_DIR: workDir,
    LOCAL_MAX_RUNNING: '2',
    // Nothing may go before it is measured.
    RETENTION_SECONDS: '0',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
  });
  const app = await createScheduler(config, { logger: createLogger(config, { write: () => undefined } as never) });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const base = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}/api/v1` : '';
  const client = redis.client();
  const keys = new RedisKeys(config.component.name);
  const usage = async (key: string) => Number((await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const indexes = async () => (await Promise.all([keys.singles, keys.batches, keys.finished].map(usage))).reduce((a, b) => a + b, 0);

  async function post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  async function untilFinal(name: string): Promise<void> {
    for (;;) {
      const job = (await (await fetch(`${base}/jobs/${name}`)).json()) as JobStatusView;
      if (FINAL.has(job.status)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  /** The finished records' keys, per job; the indexes' growth while they were recorded, per job. */
  async function measure(what: string, run: () => Promise<{ jobNames: string[]; batchNames: string[] }>): Promise<Figures> {
    const indexesBefore = await indexes();
    const { jobNames, batchNames } = await run();
    await Promise.all(jobNames.map(untilFinal));
    const sum = async (names: string[], key: (name: string) => string) => (await Promise.all(names.map((name) => usage(key(name))))).reduce((a, b) => a + b, 0);
    const perJob = (bytes: number) => Math.round(bytes / jobNames.length);
    return {
      what,
      jobs: jobNames.length,
      jobHash: perJob(await sum(jobNames, (name) => keys.job(name))),
      batchRecord: perJob(await sum(batchNames, (name) => keys.batch(name))),
      payload: perJob(await sum(jobNames, (name) => keys.payload(name))),
      indexes: perJob((await indexes()) - indexesBefore),
    };
  }
  const singleJobs = (count: number, payload: string) => async () => {
    const jobs = await Promise.all(Array.from({ length: count }, () => post<JobStatusView>('/jobs', { payload })));
    const batchNames = await Promise.all(jobs.map(async (job) => (JSON.parse((await client.hget(keys.job(job.name), 'doc'))!) as { batchName: string }).batchName));
    return { jobNames: jobs.map((job) => job.name), batchNames };
  };
  const batchOf = (count: number, payload: string) => async () => {
    const batch = await post<{ name: string; jobStatuses: JobStatusView[] }>('/batches', { jobScheduleDescriptions: Array.from({ length: count }, () => ({ payload })) });
    return { jobNames: batch.jobStatuses.map((job) => job.name), batchNames: [batch.name] };
  };

  try {
    // 200 single jobs: past 128 entries, the index ZSETs take the encoding a real store has.
    const figures = [
      await measure('single job, small payload', singleJobs(200, SMALL_PAYLOAD)),
      await measure('single job, 1 MB payload', singleJobs(5, MEGABYTE_PAYLOAD)),
      await measure('job of a batch of 100, small payloads', batchOf(100, SMALL_PAYLOAD)),
      await measure('job of a batch of 5, 1 MB payloads', batchOf(5, MEGABYTE_PAYLOAD)),
    ];
    const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1];
    const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);
    console.log(`Redis memory per finished job (MEMORY USAGE, Redis ${version}), in bytes:\n`);
    row(['finished job', 'jobs measured', 'job hash (record, spec)', 'batch record (share)', 'payload', 'index entries (share)', 'total']);
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']);
    for (const f of figures) row([f.what, f.jobs, f.jobHash, f.batchRecord, f.payload, f.indexes, f.jobHash + f.batchRecord + f.payload + f.indexes]);
  } finally {
    await client.quit();
    await app.close();
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

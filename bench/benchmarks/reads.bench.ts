import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { mb, ms, type Row } from '../support/report';
import { Seeder } from '../support/seed';
import { startService } from '../support/service';
import { median } from '../support/stats';

const MEMORY_TARGET = 200 * 1024 * 1024;
/** Issue 11: the answers are streamed, so the API's memory must not follow their size. */
const PEAK_TARGET = 250 * 1024 * 1024;

async function timeGet(url: string, path: string): Promise<{ ms: number; bytes: number; items: number }> {
  const started = performance.now();
  const response = await fetch(url + path);
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  // Jobs: of a list of jobs, of a batch, or of every batch of a list of batches.
  const body = JSON.parse(text) as { jobStatuses?: unknown[] }[] | { jobStatuses?: unknown[] };
  const jobs = (b: { jobStatuses?: unknown[] }) => b.jobStatuses?.length ?? 0;
  const items = Array.isArray(body) ? (body[0]?.jobStatuses ? body.reduce((n, b) => n + jobs(b), 0) : body.length) : jobs(body);
  return { ms: elapsed, bytes: Buffer.byteLength(text), items };
}

async function measure(url: string, path: string, repetitions: number) {
  await timeGet(url, path);
  const runs = [];
  for (let i = 0; i < repetitions; i++) runs.push(await timeGet(url, path));
  return { p50: median(runs.map((r) => r.ms)), max: Math.max(...runs.map((r) => r.ms)), bytes: runs[0].bytes, items: runs[0].items };
}

/** 8 (read latency with 10,000 and 100,000 records) and 9a (the API's memory with 100,000 records). */
export const reads: Benchmark = {
  id: '8, 9a',
  title: 'Reads, and the API\'s memory',
  method: [
    'Records are seeded straight into Redis through the real write path (JobAcceptor and RedisStatusStore, without HTTP): single jobs for GET /api/v1/jobs, and one batch of as many jobs for GET /api/v1/batches/{name}.',
    'Step 1: 10,000 single jobs and a batch of 10,000 jobs; step 2: 90,000 more single jobs (100,000) and a batch of 100,000 jobs. Each GET is timed from request to the end of the body (sequential requests after one warm-up; median and worst). GET /api/v1/batches answers every batch with its jobs: after step 2, the batches of both steps (110,000 jobs).',
    'The answers are streamed: records are read from Redis 1,000 at a time and written as they are serialized. Before (a build of the commit before it, same host, alternated runs): GET /api/v1/jobs 0.75-1.25 s and /batches/{name} 0.85-1.35 s with 100,000 records, API peak RSS 530-740 MB.',
    'Memory (9a): the RSS of the scheduler process (role api only, its own child process, plain compiled JavaScript: no compiler or test code loaded) with the records of step 2 stored, after a forced GC, before and after answering the 100,000-record GETs; that target is judged on the larger. Its peak RSS (getrusage maxrss) over the GETs of /jobs and /batches/{name} of both steps is judged against 250 MB; the peak once GET /batches has been answered too is reported beside.',
  ],
  async run(ctx: BenchContext) {
    const redis = await TestRedis.start();
    const seeder = new Seeder(redis.url);
    const api = await startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: redis.url, roles: 'api' }, { execArgv: ctx.profile('reads-scheduler') });
    try {
      const rows: Row[] = [];
      let singles = 0;
      let batchJobs = 0;
      let largest = 0;
      let peak = 0;
      let idle = 0;
      for (const { records, repetitions } of [
        { records: 10_000, repetitions: 5 },
        { records: 100_000, repetitions: 3 },
      ]) {
        const seeding = performance.now();
        await seeder.singleJobs(records - singles);
        singles = records;
        const batch = await seeder.batch(records);
        ctx.log(`seeded ${records.toLocaleString('en-US')} single jobs and a batch of as many in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
        if (records === 100_000) idle = (await api.memory({ gc: true })).rss;
        const list = await measure(api.info.url, '/api/v1/jobs', repetitions);
        const one = await measure(api.info.url, `/api/v1/batches/${batch.name}`, repetitions);
        if (list.items !== records || one.items !== records) throw new Error(`expected ${records} items, got ${list.items} and ${one.items}`);
        // The target's peak: over the GETs of /jobs and /batches/{name} (getrusage maxrss only grows).
        peak = (await api.memory()).maxRss;
        largest = Math.max(largest, list.bytes, one.bytes);
        batchJobs += records;
        const all = await measure(api.info.url, '/api/v1/batches', repetitions);
        if (all.items !== batchJobs) throw new Error(`expected ${batchJobs} jobs in the batches, got ${all.items}`);
        const n = records.toLocaleString('en-US');
        rows.push(
          {
            id: '8',
            benchmark: `GET /api/v1/jobs, ${n} single jobs`,
            result: `${ms(list.p50)} (worst ${ms(list.max)}), ${mb(list.bytes)} body`,
            baseline: '-',
            ratio: '-',
            target: 'reported',
          },
          {
            id: '8',
            benchmark: `GET /api/v1/batches/{name}, batch of ${n} jobs`,
            result: `${ms(one.p50)} (worst ${ms(one.max)}), ${mb(one.bytes)} body`,
            baseline: '-',
            ratio: '-',
            target: 'reported',
          },
          {
            id: '8',
            benchmark: `GET /api/v1/batches, ${batchJobs.toLocaleString('en-US')} jobs in ${records === 10_000 ? 1 : 2} batches`,
            result: `${ms(all.p50)} (worst ${ms(all.max)}), ${mb(all.bytes)} body`,
            baseline: '-',
            ratio: '-',
            target: 'reported',
          },
        );
      }
      const after = await api.memory({ gc: true });
      const steady = Math.max(idle, after.rss);
      rows.push(
        {
          id: '9a',
          benchmark: 'Memory: API process, 100,000 records stored',
          result: `RSS ${mb(idle)} before the 100,000-record GETs, ${mb(after.rss)} after them (each after a GC)`,
          baseline: '-',
          ratio: '-',
          target: '<= 200 MB',
          met: steady <= MEMORY_TARGET,
        },
        {
          id: '9a',
          benchmark: 'Memory: API process, peak while answering them',
          result: `peak RSS ${mb(peak)} over the GETs of /jobs and /batches/{name} (streamed answers of up to ${mb(largest)})`,
          baseline: '-',
          ratio: '-',
          target: '<= 250 MB',
          met: peak <= PEAK_TARGET,
        },
        {
          id: '9a',
          benchmark: 'Memory: API process, peak with GET /api/v1/batches too',
          result: `peak RSS ${mb(after.maxRss)} once GET /api/v1/batches (every batch with its jobs) has been answered too`,
          baseline: '-',
          ratio: '-',
          target: 'reported',
        },
      );
      return { rows };
    } finally {
      await api.stop();
      await seeder.close();
      await redis.stop();
    }
  },
};

import { Queue } from 'bullmq';
import { LAUNCH_WORK_OPTIONS, queuePrefix } from '@rjs/queue';
import { createRedis } from '../../apps/scheduler/src/infrastructure.module';
import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { ms, type Row, times } from '../support/report';
import { startHandOffWorker, type HandOffExpansion } from '../support/hand-offs';
import { benchComponent, smallJob } from '../support/seed';
import { startService } from '../support/service';
import { median, sleep } from '../support/stats';
import { type RedisClient, RedisKeys } from '@rjs/store';

const SIZES = [
  { jobs: 1_000, repetitions: 7 },
  { jobs: 10_000, repetitions: 3 },
];

/**
 * The time to the end of the answer, and until every job is in the launch queue: the scheduler
 * answers once the jobs are recorded and hands them to the workers right after; a worker's
 * DispatchExpansion then queues their launch work. The next measurement starts only then, so that
 * neither overlaps the baseline's addBulk.
 */
async function postBatch(url: string, body: string, redis: RedisClient, outbox: string, handOffs: HandOffExpansion): Promise<{ answered: number; queued: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.text();
  const answered = performance.now() - started;
  if (response.status !== 200) throw new Error(`POST /api/v1/batches answered ${response.status}`);
  const pending = async () => (await redis.scard(outbox)) + (await handOffs.pending());
  while ((await pending()) > 0) await sleep(2);
  return { answered, queued: performance.now() - started };
}

async function rawAddBulk(queue: Queue, jobs: number, round: number): Promise<number> {
  const started = performance.now();
  await queue.addBulk(
    Array.from({ length: jobs }, (_, i) => {
      const jobName = `raw-${round}-${i}`;
      return { name: 'launch', data: { jobName }, opts: { ...LAUNCH_WORK_OPTIONS, jobId: jobName } };
    }),
  );
  return performance.now() - started;
}

/** 2: the time to accept a big batch, against a raw BullMQ addBulk of as many items. */
export const bigBatches: Benchmark = {
  id: '2',
  title: 'Big batches',
  method: [
    'POST /api/v1/batches with 1,000 and 10,000 small jobs (a jobId and a payload each), timed from sending the request to the end of the response body, against the scheduler (role api only).',
    'Baseline: a raw BullMQ `addBulk` of as many items (the scheduler\'s launch work: data `{jobName}`, the same job options), from the benchmark process on a connection made as the scheduler makes its own.',
    `Scheduler and baseline alternate; ${SIZES.map((s) => `${s.repetitions} pairs for ${s.jobs.toLocaleString('en-US')}`).join(', ')}, after warm-up pairs (3 for 1,000, 1 for 10,000); the figures are medians, the ratio the median of the pairs' ratios.`,
    'The scheduler does more than the baseline for each job: it validates and resolves it, writes its record, spec and payload (one Lua script for the whole batch, with the dispatch outbox that guarantees the launch), answers its status, and hands it to the workers (one entry of the dispatch queue for the batch, added as the answer is sent), where a worker queues its launch work (an addBulk). 2 is the time to the answer; 2b the time until every job is in the launch queue (the dispatch outbox and the dispatch queue empty, polled every 2 ms), after which the next measurement starts. The worker\'s part (DispatchExpansion, one hand-off at a time, as the worker role runs it) runs in the benchmark\'s process: a scheduler with the worker role would also launch the jobs.',
  ],
  async run(ctx: BenchContext) {
    const redis = await TestRedis.start();
    const scheduler = await startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: redis.url, roles: 'api' }, { execArgv: ctx.profile('batches-scheduler') });
    const connection = createRedis(redis.url);
    const queue = new Queue('bench-baseline-raw', { connection, prefix: queuePrefix('bench-baseline') });
    const outbox = new RedisKeys(benchComponent().name).dispatchOutbox;
    const expansion = startHandOffWorker(redis.url);
    const post = (body: string) => postBatch(scheduler.info.url, body, connection, outbox, expansion);
    try {
      await queue.waitUntilReady();
      const rows: Row[] = [];
      const notes: string[] = [];
      let round = 0;
      for (const { jobs, repetitions } of SIZES) {
        const body = JSON.stringify({ jobScheduleDescriptions: Array.from({ length: jobs }, (_, i) => smallJob(i)) });
        // Warm-up (JIT, connections), not counted: a running service is warm.
        for (let i = 0; i < (jobs <= 1_000 ? 3 : 1); i++) {
          await post(body);
          await rawAddBulk(queue, jobs, round++);
        }
        const api: number[] = [];
        const queued: number[] = [];
        const raw: number[] = [];
        const measureApi = async () => {
          const times = await post(body);
          api.push(times.answered);
          queued.push(times.queued);
        };
        for (let i = 0; i < repetitions; i++) {
          // Alternate which goes first, so that neither always follows the other's garbage.
          if (i % 2 === 0) {
            await measureApi();
            raw.push(await rawAddBulk(queue, jobs, round++));
          } else {
            raw.push(await rawAddBulk(queue, jobs, round++));
            await measureApi();
          }
        }
        const ratio = median(api.map((a, i) => a / raw[i]));
        const queuedRatio = median(queued.map((q, i) => q / raw[i]));
        ctx.log(`${jobs} jobs: scheduler ${api.map((x) => x.toFixed(0)).join('/')} ms (all queued ${queued.map((x) => x.toFixed(0)).join('/')} ms), addBulk ${raw.map((x) => x.toFixed(0)).join('/')} ms`);
        rows.push({
          id: '2',
          benchmark: `Big batch: POST /api/v1/batches, ${jobs.toLocaleString('en-US')} jobs`,
          result: `${ms(median(api))} to the response (${(body.length / 1024).toFixed(0)} KB request)`,
          baseline: `raw addBulk of ${jobs.toLocaleString('en-US')}: ${ms(median(raw))}`,
          ratio: times(ratio),
          target: '<= 1.5x',
          met: ratio <= 1.5,
        });
        rows.push({
          id: '2b',
          benchmark: `Big batch, ${jobs.toLocaleString('en-US')} jobs: until all are in the launch queue`,
          result: `${ms(median(queued))} from the request`,
          baseline: `raw addBulk of ${jobs.toLocaleString('en-US')}: ${ms(median(raw))}`,
          ratio: times(queuedRatio),
          target: 'reported',
        });
        notes.push(`${jobs.toLocaleString('en-US')} jobs, each pair (ms; answered / all queued vs addBulk): ${api.map((a, i) => `${a.toFixed(0)} / ${queued[i].toFixed(0)} vs ${raw[i].toFixed(0)}`).join('; ')}.`);
      }
      return { rows, notes };
    } finally {
      await queue.close();
      await expansion.close();
      await connection.quit().catch(() => connection.disconnect());
      await scheduler.stop();
      await redis.stop();
    }
  },
};

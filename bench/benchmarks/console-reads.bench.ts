import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { ms, type Row } from '../support/report';
import { Seeder } from '../support/seed';
import { startService } from '../support/service';
import { timeGet } from '../support/load';
import { median } from '../support/stats';

async function measure(url: string, path: string, repetitions: number) {
  await timeGet(url, path);
  const runs: number[] = [];
  for (let i = 0; i < repetitions; i++) runs.push(await timeGet(url, path));
  return { p50: median(runs), max: Math.max(...runs) };
}

const BATCH_SIZE = 1000;

/** 10: what the job console's own reads cost as the store grows (they sum jobs up on each read). */
export const consoleReads: Benchmark = {
  id: '12',
  title: 'The job console\'s reads',
  method: [
    'Batches of 1,000 jobs are seeded straight into Redis through the real write path (JobAcceptor and RedisStatusStore), 10 then 100 of them (10,000 and 100,000 jobs), into the scheduler with the role api only.',
    'Timed from request to the end of the body, sequential after one warm-up (median and worst of 5): GET /console/api/batches (the first page, 20 batches, each summed up from its 1,000 jobs\' states), the same with ?status=Failed (no batch matches: the page looks at every batch, at most 2,000), and GET /console/api/activity (the jobs finished per minute over the last hour: it reads the state of every stored job).',
  ],
  async run(ctx: BenchContext) {
    const redis = await TestRedis.start();
    const seeder = new Seeder(redis.url);
    const api = await startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: redis.url, roles: 'api' }, { execArgv: ctx.profile('console-scheduler') });
    try {
      const rows: Row[] = [];
      let batches = 0;
      for (const target of [10, 100]) {
        const seeding = performance.now();
        for (; batches < target; batches++) await seeder.batch(BATCH_SIZE);
        const jobs = (batches * BATCH_SIZE).toLocaleString('en-US');
        ctx.log(`seeded ${batches} batches of ${BATCH_SIZE} jobs in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
        for (const [what, path] of [
          ['GET /console/api/batches, first page of 20', '/console/api/batches'],
          ['GET /console/api/batches?status=Failed, no match', '/console/api/batches?status=Failed'],
          ['GET /console/api/activity', '/console/api/activity'],
        ]) {
          const figure = await measure(api.info.url, path, 5);
          rows.push({ id: '12', benchmark: `${what}, ${jobs} jobs in ${batches} batches`, result: `${ms(figure.p50)} (worst ${ms(figure.max)})`, baseline: '-', ratio: '-', target: 'reported' });
        }
      }
      return { rows };
    } finally {
      await api.stop();
      await seeder.close();
      await redis.stop();
    }
  },
};

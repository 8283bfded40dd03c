import { randomUUID } from 'node:crypto';
import { launchQueueName, queuePrefix } from '@rjs/queue';
import { RedisKeys } from '@rjs/store';
import { encodeCursor } from '../../apps/api/src/lists/list-cursor';
import { QUEUE_LIST } from '../../apps/api/src/lists/list-route';
import { DEFAULT_WORKER_OPTIONS } from '../../apps/worker/src/worker-options';
import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { compareUnderLoad, rateRatio, timeGet } from '../support/load';
import { int, ms, type Row, times } from '../support/report';
import { benchComponent, jobWithoutPayload, Seeder } from '../support/seed';
import { type Service, startService } from '../support/service';
import { median, sleep, waitFor } from '../support/stats';

const SMALL_JOB = JSON.stringify({ jobId: 'bench', payload: '{"x": 10, "y": 20}' });
const CONNECTIONS = 50;
const ROUNDS = 9;
const SECONDS_PER_ROUND = 2;
const BACKLOG = 10_000;
/** Priorities of the backlog, given round-robin in arrival order so that every level waits behind others. */
const PRIORITIES = [0, 1000, 10, 500, 0, 10];
const WAITING = 100_000;
const READS = 20;

/** 10a: the accept rate with an Idempotency-Key (a new key per request) against the same without. */
async function acceptWithKey(ctx: BenchContext): Promise<{ row: Row; note: string }> {
  const redis = await TestRedis.start();
  const api = await startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: redis.url, roles: 'api' }, { execArgv: ctx.profile('idempotency-scheduler') });
  try {
    const target = { url: api.info.url, path: '/api/v1/jobs', body: SMALL_JOB, pid: api.pid };
    ctx.log(`loading with and without an Idempotency-Key, ${ROUNDS} rounds x ${SECONDS_PER_ROUND} s each`);
    const r = await compareUnderLoad(
      [
        { ...target, label: 'with key', headersPerRequest: () => ({ 'idempotency-key': `"${randomUUID()}"` }) },
        // The same client work (a fresh header per request) in both, so only the server's differs.
        { ...target, label: 'without key', headersPerRequest: () => ({ 'x-bench-request': `"${randomUUID()}"` }) },
      ],
      { connections: CONNECTIONS, rounds: ROUNDS, secondsPerRound: SECONDS_PER_ROUND, warmupSeconds: 2 },
    );
    const withKey = r.get('with key')!;
    const without = r.get('without key')!;
    const ratio = rateRatio(withKey, without);
    ctx.log(`with / without a key, req/s per round: ${withKey.roundRates.map(int).join(' / ')}; ${without.roundRates.map(int).join(' / ')}`);
    const describe = (x: typeof withKey) => `${int(x.rate)} req/s, p50 ${ms(x.p50)}, p99 ${ms(x.p99)}, ${int(x.cpuPerRequestUs)} µs CPU/req${x.failed ? `, ${int(x.failed)} failed` : ''}`;
    return {
      row: {
        id: '13a',
        benchmark: `Accept rate with an Idempotency-Key (a new key each request), POST /api/v1/jobs, ${CONNECTIONS} conn.`,
        result: describe(withKey),
        baseline: `the same server without the header: ${describe(without)}`,
        ratio: times(ratio),
        target: '>= 0.9x',
        met: ratio >= 0.9 && withKey.failed === 0,
      },
      note: `Accept rates per round (req/s), with / without an Idempotency-Key: ${withKey.roundRates.map(int).join(' / ')}; ${without.roundRates.map(int).join(' / ')}.`,
    };
  } finally {
    await api.stop();
    await redis.stop();
  }
}

/**
 * 10b: the order in which a worker takes launches from a backlog with priorities. Every job of the
 * backlog waits before the worker starts, so each must be taken before every job of a lower
 * priority, and in arrival order among its equals. The order is read from BullMQ's event stream
 * (one `active` event per launch taken, appended by the same Redis step that takes it).
 */
async function launchOrder(ctx: BenchContext): Promise<{ row: Row; note: string }> {
  const redis = await TestRedis.start();
  const fake = await startService<{ url: string; kubeconfig: string }>('fake kubernetes', 'fake-kubernetes.service', { latencyMs: { min: 1, max: 3 } });
  const seeder = new Seeder(redis.url, { queue: true });
  let worker: Service | undefined;
  try {
    const queue = seeder.launchQueue!;
    const meta = `${queuePrefix(benchComponent().name)}:${launchQueueName(benchComponent().name)}:meta`;
    worker = await startService('scheduler (worker)', 'scheduler.service', {
      redisUrl: redis.url,
      roles: 'worker',
      env: { JOB_RUNTIME: 'kubernetes', KUBECONFIG: fake.info.kubeconfig, KUBERNETES_NAMESPACE: 'bench', KUBE_API_QPS: '10000', KUBE_API_BURST: '100000' },
    });
    // The backlog is queued while the queue is paused (BullMQ's global pause), so that all of it
    // waits at once before the running worker takes any. Every BullMQ Queue writes its meta when it
    // starts (the worker's too): once they all have, keep every event of the run (BullMQ trims its
    // event stream to 10,000 by default).
    await queue.getVersion();
    await queue.pause();
    await sleep(1000);
    await seeder.redis.hset(meta, 'opts.maxLenEvents', String(10 * BACKLOG));
    const priorityOf = new Map<string, number>();
    const arrival: string[] = [];
    for (let start = 0; start < BACKLOG; start += 500) {
      const priority = PRIORITIES[(start / 500) % PRIORITIES.length];
      const batch = await seeder.batch(500, (i) => ({ ...jobWithoutPayload(start + i), priority }));
      for (const name of batch.jobNames) {
        priorityOf.set(name, priority);
        arrival.push(name);
      }
    }
    // The worker turns the hand-offs into launch work while the launch queue is paused.
    await waitFor('the hand-offs to become launch work', async () => (await queue.count()) >= BACKLOG, 60_000, 50);
    const rank = new Map(arrival.map((name, i) => [name, i]));
    const expected = [...arrival].sort((a, b) => priorityOf.get(b)! - priorityOf.get(a)! || rank.get(a)! - rank.get(b)!);
    if ((await seeder.store.countByStatus()).Waiting !== BACKLOG) throw new Error('a launch was taken while the queue was paused');
    const started = performance.now();
    await queue.resume();
    await waitFor('the worker to launch the backlog', async () => (await seeder.store.countByStatus()).Waiting === 0, 300_000, 100);
    const seconds = (performance.now() - started) / 1000;
    const events = await seeder.redis.xrange(`${queuePrefix(benchComponent().name)}:${launchQueueName(benchComponent().name)}:events`, '-', '+');
    const taken = events.map(([, fields]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]))).filter((e) => e.event === 'active').map((e) => e.jobId as string).filter((name) => priorityOf.has(name));
    // A job taken while one of a higher priority still waited: counted once per such job.
    let behindHigher = 0;
    let highestLeft = 0;
    const left = new Map<number, number>();
    for (const name of arrival) left.set(priorityOf.get(name)!, (left.get(priorityOf.get(name)!) ?? 0) + 1);
    for (const name of taken) {
      const priority = priorityOf.get(name)!;
      highestLeft = Math.max(...[...left].filter(([, n]) => n > 0).map(([p]) => p));
      if (priority < highestLeft) behindHigher++;
      left.set(priority, left.get(priority)! - 1);
    }
    const inOrder = taken.length === expected.length && taken.every((name, i) => name === expected[i]);
    ctx.log(`launch order: ${taken.length} taken in ${seconds.toFixed(1)} s, ${behindHigher} before a higher priority, exact order ${inOrder}`);
    return {
      row: {
        id: '13b',
        benchmark: `Launch order under a ${int(BACKLOG)}-job backlog, priorities ${[...new Set(PRIORITIES)].sort((a, b) => b - a).join('/')}`,
        result: `${int(behindHigher)} of ${int(taken.length)} launches taken while a higher priority waited; order ${inOrder ? 'exactly' : 'not exactly'} priority, then arrival (${int(taken.length / seconds)} launches/s, concurrency ${DEFAULT_WORKER_OPTIONS.launchConcurrency})`,
        baseline: '-',
        ratio: '-',
        target: '0 taken before a higher priority',
        met: behindHigher === 0 && taken.length === BACKLOG,
      },
      note: `Launch order: ${int(taken.length)} \`active\` events read of ${int(BACKLOG)} launches. The worker took ${int(taken.length)} launches in ${seconds.toFixed(1)} s against the fake API server (1-3 ms per answer); taken in exactly the expected order (priority, then arrival): ${inOrder}.`,
    };
  } finally {
    await worker?.stop();
    await seeder.close();
    await fake.stop();
    await redis.stop();
  }
}

async function p50(url: string, path: string): Promise<number> {
  await timeGet(url, path);
  const runs: number[] = [];
  for (let i = 0; i < READS; i++) runs.push(await timeGet(url, path));
  return median(runs);
}

/** 10c: GET /queue (first page, a page 50,000 deep) and a Waiting job's queuePosition with 100,000 jobs waiting. */
async function queueReads(ctx: BenchContext): Promise<{ row: Row; note: string }> {
  const redis = await TestRedis.start();
  const seeder = new Seeder(redis.url);
  const api = await startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: redis.url, roles: 'api' }, { execArgv: ctx.profile('queue-scheduler') });
  try {
    ctx.log(`seeding ${int(WAITING)} waiting jobs`);
    for (let start = 0; start < WAITING; start += 10_000) {
      const priority = PRIORITIES[(start / 10_000) % PRIORITIES.length];
      await seeder.batch(10_000, (i) => ({ ...jobWithoutPayload(start + i), priority }));
    }
    const keys = new RedisKeys(benchComponent().name);
    const [middleName, middleScore] = await seeder.redis.zrange(keys.waiting, WAITING / 2, WAITING / 2, 'WITHSCORES');
    const [lastName] = await seeder.redis.zrange(keys.waiting, -1, -1);
    const deep = encodeCursor(QUEUE_LIST, { name: middleName, score: Number(middleScore) });
    // Warm up every route measured (JIT, connections) before any is timed.
    for (let i = 0; i < 50; i++) {
      for (const path of ['/api/v1/queue?limit=100', `/api/v1/queue?limit=100&continue=${deep}`, `/api/v1/jobs/${lastName}`]) await timeGet(api.info.url, path);
    }
    const first = await p50(api.info.url, '/api/v1/queue?limit=100');
    const middle = await p50(api.info.url, `/api/v1/queue?limit=100&continue=${deep}`);
    const position = await p50(api.info.url, `/api/v1/jobs/${lastName}`);
    // The same record read while it is not Waiting (no queuePosition): what the position costs.
    await seeder.store.update(lastName, (current) => ({ ...current, status: 'Running' as never }));
    const plain = await p50(api.info.url, `/api/v1/jobs/${lastName}`);
    const ratio = middle / first;
    return {
      row: {
        id: '13c',
        benchmark: `Queue reads with ${int(WAITING)} jobs waiting`,
        result: `GET /queue?limit=100: ${ms(first)} first page, ${ms(middle)} 50,000 deep; GET /jobs/{name} of the last waiting job (queuePosition ${int(WAITING)}): ${ms(position)}`,
        baseline: `GET /jobs/{name} of a job that is not Waiting: ${ms(plain)}`,
        ratio: times(ratio),
        target: 'a deep page <= 2x the first (p50)',
        met: ratio <= 2,
      },
      note: `Queue reads (p50 of ${READS}, sequential): first page ${ms(first)}, a page 50,000 deep ${ms(middle)}, a Waiting job with its queuePosition ${ms(position)}, a job that is not Waiting ${ms(plain)}.`,
    };
  } finally {
    await api.stop();
    await seeder.close();
    await redis.stop();
  }
}

/** 10: the scheduling controls: Idempotency-Key cost, launch order by priority, queue reads. */
export const scheduling: Benchmark = {
  id: '13',
  title: 'Scheduling controls',
  method: [
    `10a: autocannon, ${CONNECTIONS} connections, POST /api/v1/jobs with a small job against one scheduler (role api), ${ROUNDS} x ${SECONDS_PER_ROUND} s rounds in alternation after a 2 s warm-up each: with an Idempotency-Key (a new UUID per request, so every request stores a key with its job) and without (a header the server ignores, X-Bench-Request, made the same way, so that the client does the same work). The ratio is the median over rounds of the two rates of the same round.`,
    `10b: ${int(BACKLOG)} jobs are accepted through the real write path (JobAcceptor, RedisStatusStore, the BullMQ launch queue) in batches of 500 whose priorities cycle ${PRIORITIES.join(', ')}, while no worker runs; then one worker (JOB_RUNTIME=kubernetes, default launch concurrency) launches them against the fake API server (1-3 ms per answer). The order in which launches are taken is read from BullMQ's event stream (\`active\` events); a launch taken while a job of a higher priority still waited counts against the target.`,
    `10c: ${int(WAITING)} Waiting jobs in batches of 10,000 (priorities cycling as above), a scheduler with the role api; each GET is timed from request to the end of the body, p50 of ${READS} sequential requests after 50 warm-up requests of each route. The deep page starts from a cursor 50,000 entries in.`,
  ],
  async run(ctx: BenchContext) {
    const accept = await acceptWithKey(ctx);
    const order = await launchOrder(ctx);
    const reads = await queueReads(ctx);
    return { rows: [accept.row, order.row, reads.row], notes: [accept.note, order.note, reads.note] };
  },
};

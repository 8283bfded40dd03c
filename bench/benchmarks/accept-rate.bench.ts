import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { compareUnderLoad, rateRatio, type Target } from '../support/load';
import { int, ms, type Row, times } from '../support/report';
import { startService } from '../support/service';
import { sleep } from '../support/stats';

const BODY_LIMIT = 64 * 1024 * 1024;
const SMALL_JOB = JSON.stringify({ jobId: 'bench', payload: '{"x": 10, "y": 20}' });
const CONNECTIONS = 50;
const ROUNDS = 5;
const SECONDS_PER_ROUND = 2;

/** 1 (accept rate against two baselines), 1c (with a worker's part) and 7 (with Redis AOF): one alternating run of five servers. */
export const acceptRate: Benchmark = {
  id: '1, 7',
  title: 'Accept rate, and the cost of persistence',
  method: [
    `autocannon, ${CONNECTIONS} connections, POST /api/v1/jobs with a small job (${SMALL_JOB.length} bytes: a jobId and a payload).`,
    `Five servers in child processes, each loaded ${ROUNDS} x ${SECONDS_PER_ROUND} s, in alternation (the order rotates each round) after a 2 s warm-up each: ` +
      'the scheduler (role api only, so no worker competes for CPU; production logging: JSON at info to stdout), the same with its Redis in AOF everysec, ' +
      'the scheduler again with a worker\'s part running in a process of its own (1c: the API hands each moment\'s accepted jobs to the workers as one dispatch-queue entry, and a worker turns it into launch work, one BullMQ add per job; bench/support/hand-offs.ts runs that part as the worker role does, without launching), ' +
      'the NestJS baseline (same Fastify adapter, @Body() parsing and one BullMQ queue.add of the body with the same job options) and the bare Fastify baseline (Fastify JSON parsing + queue.add).',
    'Rates count 2xx answers only (mean over all rounds); a ratio is the median over rounds of the two rates measured in the same round. Latencies are per request as autocannon saw them, pooled over the rounds (closed loop: latency ~ connections / rate).',
    'Each server has its Redis (a private redis-server on a random port): without persistence for four, AOF everysec for one.',
    '1c counts the CPU of the API and the worker\'s part together, and waits after each of its segments until the worker has caught up (the work it does after the segment is not counted: its backlog at the end of a segment is printed).',
    'CPU/req: the CPU time (user + system, from /proc) the server process spent during its segments, per 2xx answer. It depends much less than the rates on what else the host runs (it rises somewhat when caches are shared), so it tells how much work each request costs: the rate ratio tends to the inverse of the CPU ratio on an idle host, and is compressed towards 1 when the host is busy (every server then waits for the CPU alike).',
  ],
  async run(ctx: BenchContext) {
    const plain = await TestRedis.start();
    const aof = await TestRedis.start({ appendOnly: true });
    const withWorker = await TestRedis.start();
    const services = await Promise.all([
      startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: plain.url, roles: 'api' }, { execArgv: ctx.profile('accept-scheduler') }),
      startService<{ url: string }>('scheduler (AOF)', 'scheduler.service', { redisUrl: aof.url, roles: 'api' }),
      startService<{ url: string }>('nest baseline', 'nest-baseline.service', { redisUrl: plain.url, queueName: 'bench-baseline-nest', bodyLimit: BODY_LIMIT }),
      startService<{ url: string }>('fastify baseline', 'fastify-baseline.service', { redisUrl: plain.url, queueName: 'bench-baseline-fastify', bodyLimit: BODY_LIMIT }),
      startService<{ url: string }>('scheduler (with hand-offs)', 'scheduler.service', { redisUrl: withWorker.url, roles: 'api' }),
    ]);
    const handOffs = await startService('worker part', 'hand-off-expansion.service', { redisUrl: withWorker.url });
    try {
      const [scheduler, schedulerAof, nest, bare, schedulerWithWorker] = services;
      const target = (label: string, service: (typeof services)[number], redis: TestRedis): Target => ({
        label,
        url: service.info.url,
        path: '/api/v1/jobs',
        body: SMALL_JOB,
        pid: service.pid,
        redisPid: redis.pid,
      });
      const targets = [
        target('scheduler', scheduler, plain),
        target('aof', schedulerAof, aof),
        target('nest', nest, plain),
        target('fastify', bare, plain),
        { ...target('with-worker', schedulerWithWorker, withWorker), otherPids: [handOffs.pid] },
      ];
      ctx.log(`loading ${targets.length} servers, ${ROUNDS} rounds x ${SECONDS_PER_ROUND} s each`);
      const backlogs: number[] = [];
      const r = await compareUnderLoad(targets, {
        connections: CONNECTIONS,
        rounds: ROUNDS,
        secondsPerRound: SECONDS_PER_ROUND,
        warmupSeconds: 2,
        onSegment: async (label) => {
          if (label !== 'with-worker') return;
          backlogs.push(await handOffs.call<number>('pending'));
          while ((await handOffs.call<number>('pending')) > 0) await sleep(20);
        },
      });
      const s = r.get('scheduler')!;
      const w = r.get('with-worker')!;
      const a = r.get('aof')!;
      const n = r.get('nest')!;
      const f = r.get('fastify')!;
      const describe = (x: typeof s) =>
        `${int(x.rate)} req/s, p50 ${ms(x.p50)}, p99 ${ms(x.p99)}, ${int(x.cpuPerRequestUs)} µs CPU/req${x.failed ? `, ${int(x.failed)} failed` : ''}`;
      const rows: Row[] = [
        {
          id: '1',
          benchmark: `Accept rate, POST /api/v1/jobs, small job, ${CONNECTIONS} conn.`,
          result: describe(s),
          baseline: `NestJS+Fastify, parse + queue.add: ${describe(n)}`,
          ratio: times(rateRatio(s, n)),
          target: '>= 0.6x, p99 <= 20 ms',
          met: rateRatio(s, n) >= 0.6 && s.p99 <= 20 && s.failed === 0,
        },
        {
          id: '1b',
          benchmark: 'Accept rate against bare Fastify',
          result: `${int(s.rate)} req/s, ${int(s.cpuPerRequestUs)} µs CPU/req`,
          baseline: `bare Fastify, parse + queue.add: ${describe(f)}`,
          ratio: times(rateRatio(s, f)),
          target: 'reported',
        },
        {
          id: '1c',
          benchmark: "Accept rate with a worker's part (hand-offs to launch work) alongside",
          result: `${describe(w)} (API + worker's part)`,
          baseline: `NestJS+Fastify, parse + queue.add: ${int(n.rate)} req/s, ${int(n.cpuPerRequestUs)} µs CPU/req`,
          ratio: times(rateRatio(w, n)),
          target: 'reported',
        },
        {
          id: '7',
          benchmark: 'Persistence cost: accept rate with Redis AOF everysec',
          result: describe(a),
          baseline: `same, no persistence: ${int(s.rate)} req/s`,
          ratio: times(rateRatio(a, s)),
          target: '>= 0.8x',
          met: rateRatio(a, s) >= 0.8 && a.failed === 0,
        },
      ];
      return {
        rows,
        notes: [
          `Rates per round (req/s): ${[s, a, n, f, w].map((x) => `${x.label} ${x.roundRates.map(int).join(' / ')}`).join('; ')}.`,
          `redis-server CPU per 2xx answer, on the same two cores: ${[s, a, n, f, w].map((x) => `${x.label} ${int(x.redisCpuPerRequestUs)} µs`).join(', ')}.`,
          `1c: hand-offs the worker's part had not yet turned into launch work at the end of each segment: ${backlogs.join(', ')}.`,
        ],
      };
    } finally {
      await handOffs.stop();
      await Promise.all(services.map((x) => x.stop()));
      await Promise.all([plain.stop(), aof.stop(), withWorker.stop()]);
    }
  },
};

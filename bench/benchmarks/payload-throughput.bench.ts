import Redis from 'ioredis';
import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { compareUnderLoad, rateRatio } from '../support/load';
import { dec, ms, type Row, times } from '../support/report';
import { startService } from '../support/service';

const PAYLOAD_BYTES = 1_000_000;
const BODY = JSON.stringify({ jobId: 'big', payload: 'x'.repeat(PAYLOAD_BYTES) });
const CONNECTIONS = 8;
const ROUNDS = 4;
const SECONDS_PER_ROUND = 2;

/** 3: 1 MB payload jobs, MB/s accepted, against the NestJS baseline with 1 MB bodies. */
export const payloadThroughput: Benchmark = {
  id: '3',
  title: 'Payload throughput',
  method: [
    `POST /api/v1/jobs with a ${(PAYLOAD_BYTES / 1e6).toFixed(0)} MB payload (body ${BODY.length.toLocaleString('en-US')} bytes), autocannon with ${CONNECTIONS} connections, ${ROUNDS} rounds x ${SECONDS_PER_ROUND} s per server in alternation after a 2 s warm-up.`,
    'Baseline: the NestJS baseline of benchmark 1 (same Fastify adapter, body parsing, one queue.add of the parsed body: the payload goes to Redis there too).',
    'MB/s = accepted (2xx) bodies x body size / time, MB = 10^6 bytes. Redis is emptied (FLUSHALL) between segments so that it holds at most one segment of payloads.',
  ],
  async run(ctx: BenchContext) {
    const redis = await TestRedis.start();
    const admin = new Redis(redis.port, '127.0.0.1');
    const services = await Promise.all([
      startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: redis.url, roles: 'api' }, { execArgv: ctx.profile('payload-scheduler') }),
      startService<{ url: string }>('nest baseline', 'nest-baseline.service', { redisUrl: redis.url, queueName: 'bench-baseline-nest', bodyLimit: 64 * 1024 * 1024 }),
    ]);
    try {
      const [scheduler, nest] = services;
      const r = await compareUnderLoad(
        [
          { label: 'scheduler', url: scheduler.info.url, path: '/api/v1/jobs', body: BODY },
          { label: 'nest', url: nest.info.url, path: '/api/v1/jobs', body: BODY },
        ],
        { connections: CONNECTIONS, rounds: ROUNDS, secondsPerRound: SECONDS_PER_ROUND, warmupSeconds: 2, between: async () => void (await admin.flushall('ASYNC')) },
      );
      const s = r.get('scheduler')!;
      const n = r.get('nest')!;
      const mbps = (rate: number) => (rate * BODY.length) / 1e6;
      const ratio = rateRatio(s, n);
      const rows: Row[] = [
        {
          id: '3',
          benchmark: `Payload throughput: 1 MB payload jobs, ${CONNECTIONS} conn.`,
          result: `${dec(mbps(s.rate), 0)} MB/s (${dec(s.rate, 0)} jobs/s, p50 ${ms(s.p50)}, p99 ${ms(s.p99)})${s.failed ? `, ${s.failed} failed` : ''}`,
          baseline: `NestJS+Fastify, parse + queue.add: ${dec(mbps(n.rate), 0)} MB/s (p50 ${ms(n.p50)})`,
          ratio: times(ratio),
          target: '>= 0.5x',
          met: ratio >= 0.5 && s.failed === 0,
        },
      ];
      return { rows };
    } finally {
      await Promise.all(services.map((x) => x.stop()));
      await admin.quit();
      await redis.stop();
    }
  },
};

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { JobAcceptor, JobStatus, type NotificationDocument, rfc3339, systemClock } from '@rjs/core';
import { RedisStatusStore } from '@rjs/store';
import { TestRedis } from '../../test/support/redis-server';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { compareUnderLoad, rateRatio, type Target } from '../support/load';
import { int, ms, type Row, times } from '../support/report';
import { benchComponent, jobWithoutPayload, noQueue } from '../support/seed';
import { startService } from '../support/service';
import { percentile, waitFor } from '../support/stats';

const SMALL_JOB = JSON.stringify({ jobId: 'bench', payload: '{"x": 10, "y": 20}' });
const CONNECTIONS = 50;
const ROUNDS = 5;
const SECONDS_PER_ROUND = 2;
const BATCH_SIZE = 10_000;
/** Status writes in flight at once while the batch "runs" (as a watcher's writes would be). */
const WRITERS = 50;
const RUN_STATUSES = [JobStatus.Active, JobStatus.Running, JobStatus.Succeeded];

/** 10: what a webhook costs the API, how many deliveries a big batch makes, and how late they come. */
export const notifications: Benchmark = {
  id: '11',
  title: 'Webhook notifications',
  method: [
    `Accept rate: autocannon, ${CONNECTIONS} connections, POST /api/v1/jobs with a small job, against two scheduler processes (role api, each with its own redis-server), one with NOTIFICATIONS_WEBHOOK set (its status writes also record what is owed to the webhook), one without (the events stream is written by both); ${ROUNDS} x ${SECONDS_PER_ROUND} s in alternation after a 2 s warm-up; the ratio is the median over rounds.`,
    `Deliveries and lag: a batch of ${int(BATCH_SIZE)} jobs is accepted through the real write path (JobAcceptor, RedisStatusStore with the webhook on), then "run": each job goes Active, Running, Succeeded through the store's compare-and-set (the one write path the watcher and the local runtime use), ${WRITERS} writes in flight, as fast as Redis takes them (${int(BATCH_SIZE * 3)} transitions). A scheduler process with the role worker delivers to a receiver in the benchmark process that answers 204 at once. Deliveries: requests the receiver got for the batch; lag: from each status write to its arrival at the receiver.`,
  ],
  async run(ctx: BenchContext) {
    const rows: Row[] = [];
    const receiver = await WebhookReceiver.start();
    const plainRedis = await TestRedis.start();
    const hookRedis = await TestRedis.start();
    const workDir = mkdtempSync(join(tmpdir(), 'rjs-bench-notify-'));
    try {
      // 1. Accept rate with and without a webhook.
      const services = await Promise.all([
        startService<{ url: string }>('scheduler', 'scheduler.service', { redisUrl: plainRedis.url, roles: 'api' }),
        startService<{ url: string }>('scheduler (webhook)', 'scheduler.service', { redisUrl: hookRedis.url, roles: 'api', env: { NOTIFICATIONS_WEBHOOK: receiver.url } }),
      ]);
      try {
        const target = (label: string, service: (typeof services)[number]): Target => ({ label, url: service.info.url, path: '/api/v1/jobs', body: SMALL_JOB, pid: service.pid });
        const r = await compareUnderLoad([target('plain', services[0]), target('webhook', services[1])], { connections: CONNECTIONS, rounds: ROUNDS, secondsPerRound: SECONDS_PER_ROUND, warmupSeconds: 2 });
        const plain = r.get('plain')!;
        const hook = r.get('webhook')!;
        const ratio = rateRatio(hook, plain);
        rows.push({
          id: '11a',
          benchmark: `Accept rate with a webhook configured, ${CONNECTIONS} conn.`,
          result: `${int(hook.rate)} req/s, p99 ${ms(hook.p99)}, ${int(hook.cpuPerRequestUs)} µs CPU/req`,
          baseline: `without a webhook: ${int(plain.rate)} req/s, p99 ${ms(plain.p99)}, ${int(plain.cpuPerRequestUs)} µs CPU/req`,
          ratio: times(ratio),
          target: '>= 0.9x',
          met: ratio >= 0.9 && hook.failed === 0,
        });
      } finally {
        await Promise.all(services.map((s) => s.stop()));
      }

      // 2. A 10,000-job batch run to completion: deliveries and lag.
      await hookRedis.flush();
      receiver.requests.length = 0;
      const redis = new Redis(hookRedis.url, { maxRetriesPerRequest: null });
      const component = benchComponent();
      const store = new RedisStatusStore(redis, component.name, { streamMaxLen: 100_000, notify: true });
      const acceptor = new JobAcceptor(component, store, noQueue, systemClock);
      const { batch } = await acceptor.acceptBatch({ jobScheduleDescriptions: Array.from({ length: BATCH_SIZE }, (_, i) => jobWithoutPayload(i)) });
      // Nothing is launched: the transitions are written below, as a runtime would report them.
      await store.markDispatched(batch.jobNames);
      const written = new Map<string, number>();
      const lags: number[] = [];
      let transitions = 0;
      receiver.behave = (request) => {
        const at = performance.timeOrigin + performance.now();
        const document = JSON.parse(request.body) as NotificationDocument;
        for (const job of document.jobStatuses) {
          transitions++;
          const since = written.get(`${job.name} ${job.status}`);
          if (document.event === 'Update' && since !== undefined) lags.push(at - since);
        }
        return 204;
      };
      const worker = await startService<{ url: string }>('scheduler (worker)', 'scheduler.service', {
        redisUrl: hookRedis.url,
        roles: 'worker',
        env: { NOTIFICATIONS_WEBHOOK: receiver.url, LOCAL_WORK_DIR: workDir },
      });
      try {
        await waitFor('the Create delivered', () => transitions >= BATCH_SIZE, 60_000);
        const started = Date.now();
        let next = 0;
        const write = async () => {
          while (next < batch.jobNames.length) {
            const name = batch.jobNames[next++];
            for (const status of RUN_STATUSES) {
              const at = performance.timeOrigin + performance.now();
              written.set(`${name} ${status}`, at);
              await store.update(name, (job) => ({ ...job, status, updated: rfc3339(new Date()), ...(status === JobStatus.Succeeded ? { ended: rfc3339(new Date()) } : {}) }));
            }
          }
        };
        await Promise.all(Array.from({ length: WRITERS }, write));
        const writeSeconds = (Date.now() - started) / 1000;
        await waitFor('every transition delivered', () => transitions >= BATCH_SIZE * (1 + RUN_STATUSES.length), 120_000);
        const deliveries = receiver.requests.length;
        const p50 = percentile(lags, 50);
        const p99 = percentile(lags, 99);
        ctx.log(`${deliveries} deliveries for ${transitions} transitions (written in ${writeSeconds.toFixed(1)} s); lag p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`);
        rows.push({
          id: '11b',
          benchmark: `Webhook deliveries for a ${int(BATCH_SIZE)}-job batch run to completion`,
          result: `${int(deliveries)} deliveries for ${int(transitions)} transitions (create + ${RUN_STATUSES.length} per job, written at ${int((BATCH_SIZE * RUN_STATUSES.length) / writeSeconds)}/s)`,
          baseline: `one request per transition: ${int(transitions)}`,
          ratio: times(deliveries / transitions),
          target: '< 2,000 deliveries',
          met: deliveries < 2000,
        });
        rows.push({
          id: '11c',
          benchmark: 'Webhook delivery lag, healthy receiver',
          result: `p50 ${ms(p50)}, p99 ${ms(p99)} (max ${ms(Math.max(...lags))}; ${int(lags.length)} transitions)`,
          baseline: '-',
          ratio: '-',
          target: 'p99 <= 1 s',
          met: p99 <= 1000,
        });
      } finally {
        await worker.stop();
        await redis.quit();
      }
      return { rows };
    } finally {
      await receiver.down();
      await plainRedis.stop();
      await hookRedis.stop();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};

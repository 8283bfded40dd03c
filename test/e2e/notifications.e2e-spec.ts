import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '@rjs/config';
import type { NotificationDocument, RecordedChange } from '@rjs/core';
import { Metrics } from '@rjs/platform';
import { RedisEventLog } from '@rjs/store';
import { Queue } from 'bullmq';
import { notificationQueueName, queuePrefix } from '@rjs/queue';
import { quietLogger, serveScheduler, type ServedApp } from '../support/app-fixture';
import { eventually } from '../support/eventually';
import { TestRedis } from '../support/redis-server';
import { WebhookReceiver } from '../support/webhook-receiver';
import { writeJobProgramConfig } from '../worker/worker-app';
import { batchReaches, http, jobReaches } from './scheduler-app';

const SECRET = `whsec_${Buffer.from('a test secret of more than 24 bytes').toString('base64')}`;

/** One change as a receiver sees it, and as the events stream recorded it: comparable. */
const transition = (event: string, job: { name: string; status: string; updated?: string; podStatuses?: unknown[] }) =>
  `${event} ${job.name} ${job.status} ${job.updated} ${job.podStatuses?.length ?? 0}`;

/**
 * Webhook notifications end to end: the scheduler (api, worker, watcher; local runtime) with a
 * webhook on a real HTTP receiver that fails, holds answers past the timeout and goes down.
 */
describe('webhook notifications', () => {
  let redis: TestRedis;
  let client: Redis;
  let receiver: WebhookReceiver;
  let scratch: string;
  let served: ServedApp;
  let component: string;

  async function start(extraEnv: Record<string, string> = {}, giveUpAfterMs = 24 * 3600_000) {
    const config = loadConfig({
      ROLES: 'api,worker,watcher',
      JOB_RUNTIME: 'local',
      LOG_FORMAT: 'json',
      RADIX_CONFIG: writeJobProgramConfig(scratch),
      REDIS_URL: redis.url,
      LOCAL_WORK_DIR: join(scratch, 'work'),
      LOCAL_MAX_RUNNING: '4',
      NOTIFICATIONS_WEBHOOK: receiver.url,
      NOTIFICATIONS_SECRET: SECRET,
      ...extraEnv,
    });
    component = config.component.name;
    served = await serveScheduler(config, {
      logger: quietLogger(config),
      workerOptions: {
        deliveryCoalesceMs: 100,
        deliveryTimeoutMs: 500,
        deliveryBackoff: { initialMs: 100, maxMs: 400 },
        deliveryGiveUpAfterMs: giveUpAfterMs,
        notifyPollIntervalMs: 50,
      },
    });
  }

  beforeAll(async () => {
    redis = await TestRedis.start();
    client = redis.client();
    receiver = await WebhookReceiver.start();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-notify-'));
  });

  afterEach(async () => {
    await served?.app.close();
    await redis.flush();
    receiver.requests.length = 0;
    receiver.behave = () => 204;
    await receiver.up().catch(() => undefined);
  });

  afterAll(async () => {
    await receiver.down();
    await client.quit();
    await redis.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The changes the events stream recorded for a batch, each job transition on its own. */
  async function recorded(batchName: string): Promise<string[]> {
    const changes: RecordedChange[] = await new RedisEventLog(client, component).readAfter('0', 10_000);
    return changes.filter((c) => c.batchName === batchName).flatMap((c) => c.jobs.map((job) => transition(c.event, job)));
  }

  /** What the receiver accepted for a batch, in arrival order, a repeated delivery (same webhook-id) once. */
  function delivered(batchName: string): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const request of receiver.accepted) {
      const id = String(request.headers['webhook-id']);
      const document = JSON.parse(request.body) as NotificationDocument;
      if (document.name !== batchName || seen.has(id)) continue;
      seen.add(id);
      out.push(...document.jobStatuses.map((job) => transition(document.event, job)));
    }
    return out;
  }

  it('delivers every change of a batch, in order, signed, through failures, timeouts and a receiver that was down', async () => {
    await start();
    // 500 twice, then no answer within the timeout, then down for a while, then fine.
    receiver.behave = (_request, index) => (index < 2 ? 500 : index === 2 ? 'hold' : 204);
    const { body: batch } = await http<{ name: string }>(served.url, 'POST', '/api/v1/batches', {
      batchId: 'hooked',
      jobScheduleDescriptions: [{ jobId: 'a' }, { jobId: 'b' }, { jobId: 'c' }],
    });
    await eventually(() => receiver.requests.length >= 3, 'the first three attempts');
    await receiver.down();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await receiver.up();
    await batchReaches(served.url, batch.name);
    expect((await http(served.url, 'DELETE', `/api/v1/batches/${batch.name}`)).status).toBe(200);

    const expected = await recorded(batch.name);
    expect(expected[0]).toMatch(/^Create .* Waiting/);
    expect(expected.at(-1)).toMatch(/^Delete /);
    expect(expected.filter((t) => t.startsWith('Update') && t.includes(' Succeeded ')).length).toBe(3);
    // Every recorded transition arrives, in the order recorded, none dropped, none reordered.
    await eventually(() => delivered(batch.name).length >= expected.length, () => `all ${expected.length} transitions, got ${delivered(batch.name).length}`);
    expect(delivered(batch.name)).toEqual(expected);

    // The failed attempts were retried under the same webhook-id; each accepted body verifies.
    const firstId = receiver.requests[0].headers['webhook-id'];
    expect(receiver.requests.filter((r) => r.headers['webhook-id'] === firstId).length).toBeGreaterThanOrEqual(3);
    const verifier = new Webhook(SECRET);
    for (const request of receiver.accepted) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(verifier.verify(request.body, request.headers as Record<string, string>)).toEqual(JSON.parse(request.body));
    }
    expect(() => verifier.verify(`${receiver.accepted[0].body} `, receiver.accepted[0].headers as Record<string, string>)).toThrow();

    // The document: the batch status as the API serves it, with the event and the jobs it is about.
    const create = JSON.parse(receiver.accepted[0].body) as NotificationDocument;
    expect(create).toMatchObject({ name: batch.name, batchName: batch.name, batchId: 'hooked', batchType: 'batch', event: 'Create' });
    expect(create.jobStatuses.map((j) => j.jobId)).toEqual(['a', 'b', 'c']);
    const last = JSON.parse(receiver.accepted.at(-1)!.body) as NotificationDocument;
    expect(last).toMatchObject({ event: 'Delete', status: 'Succeeded' });
    expect(last.jobStatuses.every((j) => j.podStatuses.length === 1)).toBe(true);

    const metrics = await served.app.get(Metrics).render();
    expect(metrics).toMatch(/rjs_webhook_deliveries_total\{result="failed"\} [1-9]/);
    expect(metrics).toMatch(/rjs_webhook_deliveries_total\{result="delivered"\} [1-9]/);
    expect(metrics).toMatch(/rjs_webhook_delivery_latency_seconds_count [1-9]/);
    // The receiver has the last delivery a moment before the worker records it as done.
    await eventually(async () => /rjs_webhook_backlog_batches 0/.test(await served.app.get(Metrics).render()), 'the webhook backlog to be empty');
  });

  it('sends a single job as its batch of type job; a 410 Gone stops that delivery only', async () => {
    await start();
    receiver.behave = (_request, index) => (index === 0 ? 410 : 204);
    const { body: job } = await http<{ name: string }>(served.url, 'POST', '/api/v1/jobs', { jobId: 'single' });
    await jobReaches(served.url, job.name);
    const finalUpdate = (body: string) => {
      const document = JSON.parse(body) as NotificationDocument;
      return document.event === 'Update' && document.jobStatuses.some((j) => j.status === 'Succeeded');
    };
    await eventually(() => receiver.requests.some((r) => finalUpdate(r.body)), 'the final status');
    // The Create was refused for good: sent once, never again; the changes after it still came.
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as NotificationDocument);
    expect(bodies[0].event).toBe('Create');
    expect(bodies.filter((b) => b.event === 'Create')).toHaveLength(1);
    expect(bodies.at(-1)).toMatchObject({ batchType: 'job', event: 'Update', status: 'Succeeded' });
    expect(bodies.at(-1)!.jobStatuses.map((j) => j.name)).toContain(job.name);
    expect(await served.app.get(Metrics).render()).toMatch(/rjs_webhook_deliveries_total\{result="gone"\} 1/);
  });

  it('dead-letters a delivery given up (failed work in the notifications queue, a metric) and goes on with the next', async () => {
    await start({}, 1000);
    receiver.behave = (request) => (JSON.parse(request.body).event === 'Create' ? 503 : 204);
    const { body: job } = await http<{ name: string }>(served.url, 'POST', '/api/v1/jobs', {});
    await jobReaches(served.url, job.name);
    await eventually(
      () => receiver.accepted.some((r) => (JSON.parse(r.body) as NotificationDocument).jobStatuses.some((j) => j.status === 'Succeeded')),
      'the changes after the dead letter',
    );
    const queue = new Queue(notificationQueueName(component), { connection: { url: redis.url }, prefix: queuePrefix(component) });
    try {
      const failed = await queue.getFailed();
      expect(failed).toHaveLength(1);
      expect(failed[0].failedReason).toMatch(/given up after \d+ attempts: the webhook answered 503/);
    } finally {
      await queue.close();
    }
    expect(await served.app.get(Metrics).render()).toMatch(/rjs_webhook_deliveries_total\{result="dead"\} 1/);
  });

  it('sends nothing and keeps nothing for a webhook when none is configured', async () => {
    await start({ NOTIFICATIONS_WEBHOOK: '', NOTIFICATIONS_SECRET: '' });
    const { body: job } = await http<{ name: string }>(served.url, 'POST', '/api/v1/jobs', {});
    await jobReaches(served.url, job.name);
    expect(receiver.requests).toEqual([]);
    const keys = await client.keys('*notify*');
    expect(keys).toEqual([]);
  });
});

import type { NotificationDocument, RecordedChange } from '@rjs/core';
import { RedisEventLog } from '@rjs/store';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../support/eventually';
import { WebhookReceiver } from '../support/webhook-receiver';
import { reliabilityFixture } from './reliability-fixture';
import { COMPONENT, printFigures } from './reliability-support';

const SECRET = `whsec_${Buffer.from('the crash test secret, 32 bytes!').toString('base64')}`;

const transition = (event: string, job: { name: string; status: string; updated?: string }) => `${event} ${job.name} ${job.status} ${job.updated}`;

/**
 * The scheduler killed with -9 between a change and its delivery: once with the change recorded and
 * not yet handed out (inside the coalescing window), once with its delivery in flight (the receiver
 * holding the request). A new process delivers every recorded change, in order, at least once.
 * (In flight, the delivery comes back when BullMQ's 30 s lock of the dead worker's work expires.)
 */
describe('the scheduler killed between a change and its webhook delivery', () => {
  const fixture = reliabilityFixture({ name: 'notifier-crash', logLevel: 'info' });
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(() => receiver.down());

  async function recorded(): Promise<string[]> {
    const changes: RecordedChange[] = await new RedisEventLog(fixture.client, COMPONENT).readAfter('0', 10_000);
    return changes.flatMap((c) => c.jobs.map((job) => transition(c.event, job)));
  }

  function delivered(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const request of receiver.accepted) {
      const id = String(request.headers['webhook-id']);
      if (seen.has(id)) continue;
      seen.add(id);
      const document = JSON.parse(request.body) as NotificationDocument;
      out.push(...document.jobStatuses.map((job) => transition(document.event, job)));
    }
    return out;
  }

  it('delivers every recorded change after a restart', async () => {
    const env = { NOTIFICATIONS_WEBHOOK: receiver.url, NOTIFICATIONS_SECRET: SECRET };
    // 1. Killed right after the answer: the Create is recorded, its delivery not yet opened.
    receiver.behave = () => 204;
    let service = await fixture.start('first', 'api,worker,watcher', { env });
    const first = await fetch(`${service.url}/api/v1/jobs`, { method: 'POST', body: '{"jobId":"first"}', headers: { 'content-type': 'application/json' } });
    expect(first.status).toBe(200);
    await service.kill();
    const sentBeforeFirstKill = receiver.requests.length;

    // 2. Killed with a delivery in flight: the receiver holds every request until the kill.
    receiver.behave = () => 'hold';
    service = await fixture.start('second', 'api,worker,watcher', { env });
    await eventually(() => receiver.requests.length > sentBeforeFirstKill, 'a delivery in flight');
    const second = await fetch(`${service.url}/api/v1/jobs`, { method: 'POST', body: '{"jobId":"second"}', headers: { 'content-type': 'application/json' } });
    expect(second.status).toBe(200);
    await service.kill();
    const heldAtSecondKill = receiver.requests.filter((r) => r.answered === undefined).length;

    // 3. A new process, a healthy receiver: everything recorded arrives.
    receiver.behave = () => 204;
    await fixture.start('third', 'api,worker,watcher', { env });
    const expected = await recorded();
    expect(expected.filter((t) => t.startsWith('Create'))).toHaveLength(2);
    await eventually(
      async () => {
        const now = await recorded();
        const got = delivered();
        return got.length >= now.length && now.every((t) => got.includes(t));
      },
      () => `every recorded change delivered; recorded ${expected.length}, delivered ${delivered().length}`,
      120_000,
    );
    const all = await recorded();
    // Per batch (single job), the order recorded is the order delivered.
    for (const name of new Set(all.map((t) => t.split(' ')[1]))) {
      expect(delivered().filter((t) => t.split(' ')[1] === name)).toEqual(all.filter((t) => t.split(' ')[1] === name));
    }
    const verifier = new Webhook(SECRET);
    for (const request of receiver.accepted) verifier.verify(request.body, request.headers as Record<string, string>);
    printFigures('notifier-crash', {
      killed: 2,
      recorded: all.length,
      delivered: delivered().length,
      attempts: receiver.requests.length,
      heldAtKill: heldAtSecondKill,
      repeatedDeliveries: receiver.accepted.length - new Set(receiver.accepted.map((r) => r.headers['webhook-id'])).size,
    });
  });
});

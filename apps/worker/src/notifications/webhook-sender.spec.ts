import { Webhook } from 'standardwebhooks';
import { deliveryBackoffStrategy } from './delivery-retry';
import { signWebhook } from './webhook-sender';

describe('signWebhook', () => {
  const secret = `whsec_${Buffer.from('a secret of thirty-two bytes ....').toString('base64')}`;

  it('signs as the Standard Webhooks library verifies', () => {
    const body = JSON.stringify({ name: 'b', event: 'Update', jobStatuses: [] });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'msg_compute_7', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, 'msg_compute_7', timestamp, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // Its own signature is the same string.
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_compute_7', new Date(timestamp * 1000), body));
  });

  it('does not verify under another secret, id or body', () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhook(secret, 'msg_1', timestamp, '{}');
    const verify = (key: string, id: string, body: string) => new Webhook(key).verify(body, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature });
    expect(() => verify(`whsec_${Buffer.from('another secret of 32 bytes .....').toString('base64')}`, 'msg_1', '{}')).toThrow();
    expect(() => verify(secret, 'msg_2', '{}')).toThrow();
    expect(() => verify(secret, 'msg_1', '{"a":1}')).toThrow();
  });
});

describe('deliveryBackoffStrategy', () => {
  const policy = { initialMs: 1000, maxMs: 300_000 };
  const work = (timestamp: number) => ({ timestamp }) as never;

  it('doubles from 1 s, capped, and lands the last retry on the give-up time', () => {
    const strategy = deliveryBackoffStrategy(policy, 24 * 3600_000, () => 0);
    expect([1, 2, 3, 10, 20].map((attempt) => strategy(attempt, 'delivery-retry', undefined, work(0)))).toEqual([1000, 2000, 4000, 300_000, 300_000]);
    const nearTheEnd = deliveryBackoffStrategy(policy, 24 * 3600_000, () => 24 * 3600_000 - 5000);
    expect(nearTheEnd(20, 'delivery-retry', undefined, work(0))).toBe(5000);
  });
});

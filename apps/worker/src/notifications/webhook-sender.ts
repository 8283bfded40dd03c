import { createHmac } from 'node:crypto';

/** Per attempt: a receiver that does not answer within this is retried later. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com): `v1,` and the base64
 * HMAC-SHA256 of `${id}.${timestamp}.${body}` under the secret's bytes (`whsec_<base64>`). Written
 * here because it is one HMAC; the tests verify it with the specification's published library
 * (`standardwebhooks`), which stays a dev dependency.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** POSTs a delivery: resolves with the HTTP status, rejects when no answer came (refused, timed out). */
export class WebhookSender {
  constructor(
    private readonly url: string,
    private readonly secret: string | undefined,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {}

  /** `id` is the same on every attempt of a delivery (webhook-id): receivers drop duplicates by it. */
  async send(id: string, body: string, now = new Date()): Promise<number> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'radix-job-scheduler' };
    if (this.secret) {
      const timestamp = Math.floor(now.getTime() / 1000);
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(timestamp);
      headers['webhook-signature'] = signWebhook(this.secret, id, timestamp, body);
    }
    const response = await fetch(this.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    // The answer's body is not needed; reading it to the end frees the connection for reuse.
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  }
}

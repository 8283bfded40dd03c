import { connect, type Socket } from 'node:net';
import type Redis from 'ioredis';
import { type ApiApp, redisSnapshot, withApi } from '../api/api-app';
import { rawRequest } from './reliability-support';

const MiB = 1024 * 1024;

interface EarlyAnswer {
  status: number;
  body: unknown;
  /** Body bytes the client had sent when the answer arrived. */
  bytesSentBeforeAnswer: number;
}

/**
 * Sends a POST whose body is announced (or streamed) larger than the limit, a little at a time,
 * and stops sending as soon as an answer arrives: the server must answer before the body is in.
 */
function sendOversized(url: string, path: string, options: { contentLength?: number; chunked?: boolean; totalBytes: number; chunkBytes: number }): Promise<EarlyAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), '127.0.0.1');
    let sent = 0;
    let answered = false;
    let answer = '';
    let sentAtAnswer = 0;
    const headers = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Content-Type: application/json'];
    if (options.contentLength !== undefined) headers.push(`Content-Length: ${options.contentLength}`);
    if (options.chunked) headers.push('Transfer-Encoding: chunked');
    const chunk = Buffer.alloc(options.chunkBytes, 0x20);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer after ${sent} body bytes`));
    }, 20_000);
    const sendMore = () => {
      if (answered || socket.destroyed || sent >= options.totalBytes) return;
      const frame = options.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
      socket.write(frame);
      sent += chunk.length;
      // Slowly, so that an answer has time to arrive before the next piece.
      setTimeout(sendMore, 5);
    };
    socket.on('connect', () => {
      socket.write(`${headers.join('\r\n')}\r\n\r\n`);
      sendMore();
    });
    socket.on('data', (data) => {
      if (!answered) sentAtAnswer = sent;
      answered = true;
      answer += data.toString('utf8');
      const [head, body] = answer.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(head ?? '')?.[1] ?? NaN);
      if (body !== undefined && Buffer.byteLength(body) >= length) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body), bytesSentBeforeAnswer: sentAtAnswer });
      }
    });
    socket.on('error', (error) => {
      if (!answered) reject(error);
    });
  });
}

/** MAX_BODY_BYTES is enforced before the body is read: an oversized request gets 413 at once. */
describe('the request body limit', () => {
  let client: Redis;
  let api: ApiApp;
  let small: ApiApp;
  const SMALL_LIMIT = 64 * 1024;
  const tooLarge = (limit: number) => ({ status: 'Failure', reason: 'RequestEntityTooLarge', code: 413, message: `the request body is larger than ${limit} bytes (MAX_BODY_BYTES)` });

  withApi(async (bed) => {
    ({ client, api } = bed);
    small = await bed.start('compute', { MAX_BODY_BYTES: String(SMALL_LIMIT) });
  });

  it('defaults to 64 MiB', () => {
    expect(api.config.maxBodyBytes).toBe(64 * MiB);
  });

  it.each([
    ['POST /api/v1/jobs', '/api/v1/jobs'],
    ['POST /api/v1/batches', '/api/v1/batches'],
  ])('%s: a Content-Length over the default limit is answered 413 before the body is sent', async (_route, path) => {
    await Promise.all([api.handedOff(), small.handedOff()]);
    const before = await redisSnapshot(client);
    const answer = await sendOversized(api.url, path, { contentLength: 64 * MiB + 1, totalBytes: 64 * MiB + 1, chunkBytes: 64 * 1024 });
    process.stdout.write(`[reliability] body-limit ${path}: announced=${64 * MiB + 1} sentBeforeAnswer=${answer.bytesSentBeforeAnswer}\n`);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual(tooLarge(64 * MiB));
    // Answered on the header alone, not after buffering 64 MiB.
    expect(answer.bytesSentBeforeAnswer).toBeLessThan(MiB);
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it('a chunked body (no Content-Length) is cut off once it passes the limit', async () => {
    await Promise.all([api.handedOff(), small.handedOff()]);
    const before = await redisSnapshot(client);
    const answer = await sendOversized(small.url, '/api/v1/batches', { chunked: true, totalBytes: 32 * MiB, chunkBytes: 16 * 1024 });
    process.stdout.write(`[reliability] body-limit chunked: limit=${SMALL_LIMIT} sentBeforeAnswer=${answer.bytesSentBeforeAnswer}\n`);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual(tooLarge(SMALL_LIMIT));
    expect(answer.bytesSentBeforeAnswer).toBeLessThan(MiB);
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it('a body of exactly the limit is read (and judged on its content)', async () => {
    const body = JSON.stringify({ jobScheduleDescriptions: [{ timeLimitSeconds: 0 }], padding: '' });
    const padded = body.replace('"padding":""', `"padding":"${'x'.repeat(SMALL_LIMIT - body.length)}"`);
    expect(Buffer.byteLength(padded)).toBe(SMALL_LIMIT);
    const answer = await rawRequest(small.url, 'POST', '/api/v1/batches', padded);
    expect(answer.status).toBe(422);
    expect((await rawRequest(small.url, 'POST', '/api/v1/batches', `${padded} `)).status).toBe(413);
  });

  it('keeps serving after refusing oversized bodies', async () => {
    expect((await rawRequest(api.url, 'POST', '/api/v1/jobs', '{}')).status).toBe(200);
  });
});

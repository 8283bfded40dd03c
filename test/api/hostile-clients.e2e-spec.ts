import { connect, type Socket } from 'node:net';
import type Redis from 'ioredis';
import { type ApiApp, call, redisSnapshot, withApi } from './api-app';

/**
 * Clients the API must not serve as they wish: web pages (an Origin header) and slow-loris clients
 * that trickle a request to hold a connection. The real HTTP server, a real Redis.
 */

const EVIL = 'https://evil.example';
const PORTAL = 'https://portal.example:8443';

/** fetch cannot send Origin (a forbidden header), so the requests go through node:http's sibling: a raw socket. */
async function rawExchange(url: string, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.setEncoding('latin1');
  let text = '';
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(request);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
  const [head, body = ''] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function requestText(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const all = { Host: 'localhost', Connection: 'close', 'Content-Length': String(Buffer.byteLength(body)), ...headers };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

/** What a web page's `fetch(api, {method: 'POST', body})` sends: a "simple" request, no preflight. */
const fromPage = (origin: string, path = '/api/v1/jobs', body = '{"payload":"from a web page"}') =>
  requestText('POST', path, { Origin: origin, 'Content-Type': 'text/plain;charset=UTF-8' }, body);

describe('requests from web pages (Origin)', () => {
  let client: Redis;
  let api: ApiApp;
  let portal: ApiApp;

  withApi(async (bed) => {
    ({ client, api } = bed);
    portal = await bed.start('compute', { ALLOWED_ORIGINS: `${PORTAL},http://localhost:3000` });
  });

  it.each([
    ['a cross-site page POSTing a job as text/plain', () => fromPage(EVIL)],
    ['a sandboxed page or file:// (Origin: null)', () => fromPage('null')],
    ['a page under the API\'s own host name (DNS rebinding)', () => fromPage('http://localhost')],
    ['a page reading the job list', () => requestText('GET', '/api/v1/jobs', { Origin: EVIL })],
    ['a page stopping every job', () => requestText('POST', '/api/v1/jobs/stop', { Origin: EVIL })],
    ['a preflight', () => requestText('OPTIONS', '/api/v1/jobs', { Origin: EVIL, 'Access-Control-Request-Method': 'DELETE' })],
  ])('refuses %s with 403 and changes nothing', async (_what, request) => {
    await Promise.all([api.handedOff(), portal.handedOff()]);
    const before = await redisSnapshot(client);
    const answer = await rawExchange(api.url, request());
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: expect.stringMatching(/^requests from web pages are refused: the Origin ".*" is not in ALLOWED_ORIGINS$/),
    });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it('serves components, which send no Origin (curl -d)', async () => {
    const answer = await rawExchange(api.url, requestText('POST', '/api/v1/jobs', { 'Content-Type': 'application/x-www-form-urlencoded' }, '{"payload":"x"}'));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'Waiting' });
  });

  it('serves an origin listed in ALLOWED_ORIGINS, with the CORS headers its page needs to read the answer', async () => {
    const answer = await rawExchange(portal.url, fromPage(PORTAL));
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(PORTAL);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'Waiting' });
    const preflight = await rawExchange(portal.url, requestText('OPTIONS', '/api/v1/jobs', { Origin: PORTAL, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(PORTAL);
  });

  it('refuses every origin not listed, even beside listed ones (no prefix or port match)', async () => {
    for (const origin of [EVIL, 'https://portal.example', 'https://portal.example:8443.evil.example', 'http://localhost:3001']) {
      await Promise.all([api.handedOff(), portal.handedOff()]);
      const before = await redisSnapshot(client);
      expect((await rawExchange(portal.url, fromPage(origin))).status).toBe(403);
      expect(await redisSnapshot(client)).toEqual(before);
    }
  });

  it('still answers a request without Origin in full (a plain client is untouched)', async () => {
    expect((await call(portal.url, 'GET', '/api/v1/jobs')).status).toBe(200);
  });

  it("serves the service's own pages their reads (Chrome sends Origin on same-origin module scripts), but not writes to /api/v1", async () => {
    const own = 'http://localhost';
    expect((await rawExchange(api.url, requestText('GET', '/api/v1/jobs', { Origin: own }))).status).toBe(200);
    expect((await rawExchange(api.url, requestText('GET', '/console/app.js', { Origin: own }))).status).toBe(200);
    // Another host is still another origin, reads included.
    expect((await rawExchange(api.url, requestText('GET', '/api/v1/jobs', { Origin: 'http://localhost:1' }))).status).toBe(403);
    await Promise.all([api.handedOff(), portal.handedOff()]);
    const before = await redisSnapshot(client);
    expect((await rawExchange(api.url, fromPage(own))).status).toBe(403);
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it("refuses the console's actions from its own page while the console is read-only (no credentials), changing nothing", async () => {
    const { body: job } = await call<{ name: string }>(api.url, 'POST', '/api/v1/jobs', { json: {} });
    await Promise.all([api.handedOff(), portal.handedOff()]);
    const before = await redisSnapshot(client);
    const answer = await rawExchange(api.url, requestText('POST', `/console/api/v1/jobs/${job.name}/stop`, { Origin: 'http://localhost' }));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'the console is read-only: set BULL_BOARD_USER and BULL_BOARD_PASSWORD to act from it',
    });
    expect(await redisSnapshot(client)).toEqual(before);
  });
});

/**
 * Opens a socket, sends `start`, then one byte of `trickle` every 100 ms for as long as the server
 * keeps the connection (at most 10 minutes' worth, far past every timeout). Resolves with what the
 * server answered and how many bytes were trickled before it closed the connection.
 */
async function trickle(url: string, start: string, trickleText: string): Promise<{ answer: string; trickled: number; closedByServer: boolean }> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  socket.setEncoding('latin1');
  let answer = '';
  let closed = false;
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (start) socket.write(start);
  let trickled = 0;
  const limit = 6000;
  while (!closed && trickled < limit) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (closed) break;
    if (trickleText) socket.write(trickleText[trickled % trickleText.length]);
    trickled++;
  }
  const closedByServer = closed;
  socket.destroy();
  return { answer, trickled, closedByServer };
}

describe('slow-loris clients (HTTP_HEADERS_TIMEOUT_SECONDS, HTTP_REQUEST_TIMEOUT_SECONDS, HTTP_IDLE_TIMEOUT_SECONDS)', () => {
  let client: Redis;
  let tight: ApiApp;

  withApi(async (bed) => {
    client = bed.client;
    tight = await bed.start('compute', { HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2', HTTP_IDLE_TIMEOUT_SECONDS: '3' });
  });

  it('closes a connection whose headers are trickled, answering 408', async () => {
    const result = await trickle(tight.url, 'POST /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(result.answer.split('\r\n\r\n')[1])).toEqual({ status: 'Failure', reason: 'Timeout', code: 408, message: 'the request did not arrive in time' });
  });

  it('closes a connection whose body is trickled, and records nothing', async () => {
    await tight.handedOff();
    const before = await redisSnapshot(client);
    const body = JSON.stringify({ payload: 'x'.repeat(5000) });
    const result = await trickle(
      tight.url,
      `POST /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(result.closedByServer).toBe(true);
    // The body never arrived whole: the server gave up on it, not the client.
    expect(result.trickled).toBeLessThan(body.length);
    expect(result.answer === '' || /^HTTP\/1\.1 408 /.test(result.answer)).toBe(true);
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it('closes a connection that sends nothing at all', async () => {
    const result = await trickle(tight.url, '', '');
    expect(result.closedByServer).toBe(true);
  });

  it('closes a kept-alive connection left idle after its request', async () => {
    const result = await trickle(tight.url, 'GET /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\n\r\n', '');
    expect(result.closedByServer).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('still serves a normal request on the same server', async () => {
    expect((await call(tight.url, 'POST', '/api/v1/jobs', { json: { payload: 'fine' } })).status).toBe(200);
  });
});

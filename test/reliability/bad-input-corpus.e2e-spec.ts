import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { type ApiApp, redisSnapshot, withApi } from '../api/api-app';
import { rawRequest } from './reliability-support';

type Parts = string | (string | { repeat: string; times: number })[];

interface CorpusCase {
  case: string;
  method: string;
  path: Parts;
  json?: unknown;
  raw?: Parts;
  status: number | number[];
  mentions: string[];
}

const CORPUS = join(__dirname, 'corpus');

function expand(parts: Parts): string {
  return typeof parts === 'string' ? parts : parts.map((p) => (typeof p === 'string' ? p : p.repeat.repeat(p.times))).join('');
}

function load(): [string, CorpusCase][] {
  return readdirSync(CORPUS)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => (JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as CorpusCase[]).map((c): [string, CorpusCase] => [`${file}: ${c.case}`, c]));
}

const cases = load();

/**
 * Every request of the corpus is refused with 400, 404, 413 or 422 and a Status body whose message
 * names what is wrong, never a 5xx; and it leaves Redis exactly as it was (no record, no queue
 * entry). The API runs with a runtime that fails the test if it is ever called.
 */
describe('the bad-input corpus', () => {
  let client: Redis;
  let api: ApiApp;

  withApi(async (bed) => {
    ({ client, api } = bed);
    // One accepted job, so that "unchanged" is checked against real records and queue keys.
    expect((await rawRequest(api.url, 'POST', '/api/v1/jobs', JSON.stringify({ payload: 'kept' }))).status).toBe(200);
  });

  it('holds cases in every file', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)('%s', async (_name, c) => {
    // Taken per case, so that one failure does not fail every case after it.
    await api.handedOff();
    const before = await redisSnapshot(client);
    const body = c.raw !== undefined ? expand(c.raw) : c.json !== undefined ? JSON.stringify(c.json) : undefined;
    const answer = await rawRequest(api.url, c.method, expand(c.path), body);
    const allowed = Array.isArray(c.status) ? c.status : [c.status];
    expect(allowed).toContain(answer.status);
    expect(answer.json).toEqual({ status: 'Failure', reason: expect.any(String), code: answer.status, message: expect.any(String) });
    const message = (answer.json as { message: string }).message;
    for (const text of c.mentions) expect(message).toContain(text);
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it('accepts a body nested as deep as allowed (unknown fields are ignored)', async () => {
    // body 1, jobScheduleDescriptions 2, the item 3, then 29 arrays: 32 levels, MAX_BODY_DEPTH.
    const body = `{"jobScheduleDescriptions": [{"extra": ${'['.repeat(29)}${']'.repeat(29)}}]}`;
    const answer = await rawRequest(api.url, 'POST', '/api/v1/batches', body);
    expect(answer.status).toBe(200);
  });

  it('logged no unexpected error for any of them', () => {
    const errors = api.logs.lines.filter((line) => (line.level as number) >= 50);
    expect(errors).toEqual([]);
  });
});

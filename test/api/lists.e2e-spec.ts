import { request as httpRequest } from 'node:http';
import { type BatchRecord, type BatchStatusView, type JobRecord, JobQueries, type NewBatch, toJobView } from '@rjs/core';
import { eventually } from '../support/eventually';
import { newBatch } from '../store/store-fixtures';
import { type ApiApp, type ApiTestBed, redisSnapshot, withApi } from './api-app';

/**
 * The list answers (GET /jobs, /batches, /batches/{name}): written as they are read, byte for byte
 * as before; optional paging (limit, continue, Link) and filters. Real HTTP, real redis-server.
 */

interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

async function get(api: ApiApp, path: string, method = 'GET'): Promise<RawAnswer> {
  const response = await fetch(api.url + path, { method });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The path and query of the next page, from `Link: <...>; rel="next"`. */
function nextPage(answer: RawAnswer): string | undefined {
  const link = answer.headers.get('link');
  if (link === null) return undefined;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  if (!match) throw new Error(`not a next link: ${link}`);
  return match[1];
}

/** Follows the Link headers from `path`; `between` runs after each page. */
async function pages(api: ApiApp, path: string, between: (page: number) => Promise<void> = async () => undefined): Promise<RawAnswer[]> {
  const answers: RawAnswer[] = [];
  for (let next: string | undefined = path; next !== undefined; next = nextPage(answers[answers.length - 1])) {
    const answer = await get(api, next);
    expect(answer.status).toBe(200);
    answers.push(answer);
    await between(answers.length);
  }
  return answers;
}

/** What two answers to the same request share; the Date header moves on with the clock. */
const comparable = ({ status, headers, text }: RawAnswer) => ({
  status,
  text,
  headers: Object.fromEntries([...headers].filter(([name]) => name !== 'date')),
});

const names = (answer: RawAnswer) => (JSON.parse(answer.text) as { name: string }[]).map((item) => item.name);
const jobNamesOf = (answer: RawAnswer) => ((JSON.parse(answer.text) as BatchStatusView).jobStatuses ?? []).map((job) => job.name);

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('.000Z', 'Z');
const single = (name: string, second: number) => newBatch(name, 1, { type: 'job', created: at(second) });
const batchOf = (name: string, jobs: number, second = 0) => newBatch(name, jobs, { created: at(second) });

/** Sets fields of job records, as status changes would. */
function withJobs(batch: NewBatch, change: (record: JobRecord, i: number) => Partial<JobRecord>): NewBatch {
  for (const [i, job] of batch.jobs.entries()) job.record = { ...job.record, ...change(job.record, i) };
  return batch;
}

const running = (record: JobRecord): Partial<JobRecord> => ({
  status: 'Running',
  started: at(30),
  updated: at(30),
  launched: true,
  podStatuses: [{ name: `${record.name}-1`, podIndex: 0, startTime: at(29), containerStarted: at(30), replicaStatus: { status: 'Running' } }],
});
const failed = (record: JobRecord): Partial<JobRecord> => ({
  status: 'Failed',
  started: at(30),
  ended: at(40),
  updated: at(40),
  failed: 1,
  message: 'exit code 3',
  podStatuses: [{ name: `${record.name}-1`, podIndex: 0, startTime: at(29), endTime: at(40), exitCode: 3, reason: 'Error', replicaStatus: { status: 'Failed' } }],
});

describe('list answers', () => {
  let started: ApiTestBed;
  withApi((bed) => {
    started = bed;
  });

  const create = async (...batches: NewBatch[]) => {
    for (let i = 0; i < batches.length; i += 500) await Promise.all(batches.slice(i, i + 500).map((b) => started.api.store.create(b)));
  };

  /** The answers as they were built before streaming: whole lists, serialized at once. */
  const whole = {
    jobs: async () => JSON.stringify((await started.api.store.listSingleJobs()).map(toJobView)),
    batch: async (batch: BatchRecord) => JSON.stringify(queries().viewOfBatch(batch, await jobsOf(batch))),
    batches: async () => JSON.stringify(await Promise.all((await started.api.store.listBatches()).map(async (b) => queries().viewOfBatch(b, await jobsOf(b))))),
  };
  // As the API shows a batch built whole (with the component's batchStatusRules).
  const queries = () => started.api.app.get(JobQueries);
  const jobsOf = async (batch: BatchRecord) => (await started.api.store.getJobs(batch.jobNames)).filter((j): j is JobRecord => j !== undefined);
  const stored = async (name: string) => (await started.api.store.getBatch(name))!;

  describe('without parameters', () => {
    beforeAll(async () => {
      await started.redis.flush();
      await create(
        withJobs(single('s3', 3), running),
        single('s1', 1),
        withJobs(single('s2', 1), failed),
        withJobs(newBatch('s4', 1, { type: 'job', created: at(4) }), () => ({ jobId: 'with "quotes" and ünïcode ✓' })),
        withJobs(batchOf('b2', 3, 2), (r, i) => (i === 1 ? failed(r) : i === 2 ? running(r) : {})),
        batchOf('b1', 2, 1),
      );
    });

    it('answer GET /jobs byte for byte as the whole list was serialized before, with its Content-Length', async () => {
      const answer = await get(started.api, '/api/v1/jobs');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.text).toBe(await whole.jobs());
      expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(answer.text)));
      expect(answer.headers.get('link')).toBeNull();
      expect(names(answer)).toEqual(['s1-job0', 's2-job0', 's3-job0', 's4-job0']);
      expect(comparable(await get(started.api, '/api/v1/jobs/'))).toEqual(comparable(answer));
    });

    it('answer GET /batches/{name} byte for byte as before', async () => {
      const answer = await get(started.api, '/api/v1/batches/b2');
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(await whole.batch(await stored('b2')));
      expect(JSON.parse(answer.text)).toMatchObject({ name: 'b2', status: 'Running', jobStatuses: [{ status: 'Waiting' }, { status: 'Failed' }, { status: 'Running' }] });
    });

    it('answer GET /batches with every batch and its jobStatuses (with their podStatuses), oldest first, and no single job', async () => {
      const answer = await get(started.api, '/api/v1/batches');
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(await whole.batches());
      const batches = JSON.parse(answer.text) as BatchStatusView[];
      expect(batches.map((b) => b.name)).toEqual(['b1', 'b2']);
      expect(batches[1].jobStatuses?.[1]).toMatchObject({ name: 'b2-job1', status: 'Failed', podStatuses: [{ exitCode: 3, reason: 'Error' }] });
      expect(batches[1].jobStatuses).toHaveLength(3);
      expect(comparable(await get(started.api, '/api/v1/batches/'))).toEqual(comparable(answer));
    });

    it('answer [] for lists with nothing in them', async () => {
      await started.redis.flush();
      for (const path of ['/api/v1/jobs', '/api/v1/batches', '/api/v1/jobs?limit=5&status=Failed', '/api/v1/batches?batchId=x']) {
        const answer = await get(started.api, path);
        expect([answer.status, answer.text, answer.headers.get('link')]).toEqual([200, '[]', null]);
      }
      await create(batchOf('empty-after-filter', 1));
      const batch = await stored('empty-after-filter');
      // The batch keeps its own fields (from its one Waiting job); none of its jobs is listed.
      expect((await get(started.api, '/api/v1/batches/empty-after-filter?status=Failed')).text).toBe(
        JSON.stringify({ ...queries().viewOfBatch(batch, await jobsOf(batch)), jobStatuses: [] }),
      );
    });
  });

  describe('a large list', () => {
    beforeAll(async () => {
      await started.redis.flush();
      const singles = Array.from({ length: 20_000 }, (_, i) => single(`s${String(i).padStart(5, '0')}`, i % 50));
      for (const [i, job] of singles.entries()) if (i % 7 === 0) withJobs(job, i % 2 ? failed : running);
      await create(...singles, withJobs(batchOf('big', 20_000), (r, i) => (i % 5 === 0 ? failed(r) : {})), batchOf('small', 3));
    });

    it.each([
      ['GET /jobs, 20,000 single jobs', '/api/v1/jobs', () => whole.jobs()],
      ['GET /batches/{name}, a batch of 20,000 jobs', '/api/v1/batches/big', async () => whole.batch(await stored('big'))],
      ['GET /batches, 20,003 jobs in two batches', '/api/v1/batches', () => whole.batches()],
    ])('%s is streamed (chunked) and is the same JSON, byte for byte, as the whole answer built at once', async (_title, path, expected) => {
      const answer = await get(started.api, path);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('transfer-encoding')).toBe('chunked');
      expect(answer.headers.get('content-length')).toBeNull();
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.text).toBe(await expected());
      expect(() => JSON.parse(answer.text)).not.toThrow();
    });

    it('answers HEAD with the headers of GET and no body, without reading the list to its end', async () => {
      const answer = await get(started.api, '/api/v1/jobs', 'HEAD');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.text).toBe('');
    });
  });

  describe('paging', () => {
    beforeEach(() => started.redis.flush());

    it('visits every single job exactly once, in order, following the Link headers; the last page has none', async () => {
      await create(...Array.from({ length: 10 }, (_, i) => single(`s${i}`, i % 3)));
      const all = names(await get(started.api, '/api/v1/jobs'));
      const answers = await pages(started.api, '/api/v1/jobs?limit=3');
      expect(answers.map(names)).toEqual([all.slice(0, 3), all.slice(3, 6), all.slice(6, 9), all.slice(9)]);
      expect(answers.map((a) => a.headers.get('link') !== null)).toEqual([true, true, true, false]);
      expect(answers[0].headers.get('link')).toMatch(/^<\/api\/v1\/jobs\?limit=3&continue=[A-Za-z0-9_-]+>; rel="next"$/);
      // A page that ends the list exactly has no next one.
      expect((await pages(started.api, '/api/v1/jobs?limit=5')).map(names)).toEqual([all.slice(0, 5), all.slice(5)]);
      expect((await pages(started.api, '/api/v1/jobs?limit=1000')).map(names)).toEqual([all]);
      // continue without limit: the rest of the list.
      const second = nextPage(answers[0])!.replace('limit=3&', '');
      expect(names(await get(started.api, second))).toEqual(all.slice(3));
    });

    it('visits every single job that stays exactly once while jobs are added and removed between pages', async () => {
      await create(...Array.from({ length: 30 }, (_, i) => single(`s${String(i).padStart(2, '0')}`, Math.floor(i / 4))));
      // Between pages: remove the last job seen (the cursor's) and one ahead; add one behind (older)
      // and one ahead (newer).
      const removed = new Set<string>();
      const visited: string[] = [];
      for (let next: string | undefined = '/api/v1/jobs?limit=4', page = 0; next !== undefined; page++) {
        const answer = await get(started.api, next);
        const seen = names(answer);
        visited.push(...seen);
        next = nextPage(answer);
        const ahead = `s${String(29 - page).padStart(2, '0')}-job0`;
        for (const name of [seen[seen.length - 1], ahead]) {
          if (!name || removed.has(name)) continue;
          removed.add(name);
          await started.api.store.deleteBatch(name.replace(/-job0$/, ''));
        }
        await create(single(`old${page}`, 0), single(`new${page}`, 100 + page));
      }
      const stayed = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}-job0`).filter((n) => !removed.has(n));
      expect(visited.filter((n) => stayed.includes(n))).toEqual(stayed);
      expect(new Set(visited).size).toBe(visited.length);
      expect(visited.filter((n) => n.startsWith('old'))).toEqual([]);
    });

    it('pages through the batches, each with all of its jobs, while batches are added and removed', async () => {
      await create(...Array.from({ length: 7 }, (_, i) => batchOf(`b${i}`, i + 1, i)));
      const jobCount = (name: string) => (name === 'late' ? 1 : Number(name.slice(1)) + 1);
      const visited: string[] = [];
      const answers = await pages(started.api, '/api/v1/batches?limit=2', async (page) => {
        if (page === 1) {
          await started.api.store.deleteBatch('b1');
          await started.api.store.deleteBatch('b5');
          await create(batchOf('late', 1, 60));
        }
      });
      for (const answer of answers) {
        const batches = JSON.parse(answer.text) as BatchStatusView[];
        visited.push(...batches.map((b) => b.name));
        for (const batch of batches) expect(batch.jobStatuses?.length).toBe(jobCount(batch.name));
      }
      expect(visited).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b6', 'late']);
    });

    it('pages through the jobs of a batch; every page carries the batch with the status of all of its jobs', async () => {
      await create(withJobs(batchOf('b', 2500), (r, i) => (i === 2499 ? failed(r) : i % 2 ? running(r) : {})));
      const answers = await pages(started.api, '/api/v1/batches/b?limit=1000');
      expect(answers.map((a) => jobNamesOf(a).length)).toEqual([1000, 1000, 500]);
      expect(answers.flatMap(jobNamesOf)).toEqual((await stored('b')).jobNames);
      const whole = JSON.parse((await get(started.api, '/api/v1/batches/b')).text) as BatchStatusView;
      for (const answer of answers) {
        const { jobStatuses: _jobs, ...batch } = JSON.parse(answer.text) as BatchStatusView;
        const { jobStatuses: _all, ...expected } = whole;
        expect(batch).toEqual(expected);
        expect(batch.status).toBe('Running');
      }
      expect(nextPage(answers[0])).toMatch(/^\/api\/v1\/batches\/b\?limit=1000&continue=/);
    });
  });

  describe('filters', () => {
    beforeAll(async () => {
      await started.redis.flush();
      await create(
        ...Array.from({ length: 9 }, (_, i) => withJobs(single(`s${i}`, i), (r) => (i % 3 === 0 ? failed(r) : i % 3 === 1 ? running(r) : { jobId: `id-${i % 2}` }))),
        withJobs(newBatch('done', 2, { created: at(1) }), failed),
        { ...batchOf('nightly', 3, 2), batch: { ...batchOf('nightly', 3, 2).batch, batchId: 'nightly' } },
        withJobs(batchOf('busy', 2, 3), (r, i) => (i === 0 ? running(r) : { jobId: 'mine' })),
      );
    });

    it('status filters the single jobs by one or several statuses; jobId by their jobId', async () => {
      expect(names(await get(started.api, '/api/v1/jobs?status=Failed'))).toEqual(['s0-job0', 's3-job0', 's6-job0']);
      expect(names(await get(started.api, '/api/v1/jobs?status=Running,Failed'))).toEqual(['s0-job0', 's1-job0', 's3-job0', 's4-job0', 's6-job0', 's7-job0']);
      expect(names(await get(started.api, '/api/v1/jobs?status=Stopped'))).toEqual([]);
      expect(names(await get(started.api, '/api/v1/jobs?jobId=id-0'))).toEqual(['s2-job0', 's8-job0']);
      expect(names(await get(started.api, '/api/v1/jobs?jobId=id-0&status=Waiting'))).toEqual(['s2-job0', 's8-job0']);
      expect(names(await get(started.api, '/api/v1/jobs?jobId=id-0&status=Failed'))).toEqual([]);
    });

    it('pages through the matches only, with the filters carried into the Link', async () => {
      const answers = await pages(started.api, '/api/v1/jobs?status=Running,Failed&limit=4');
      expect(answers.map(names)).toEqual([
        ['s0-job0', 's1-job0', 's3-job0', 's4-job0'],
        ['s6-job0', 's7-job0'],
      ]);
      expect(nextPage(answers[0])).toMatch(/^\/api\/v1\/jobs\?status=Running%2CFailed&limit=4&continue=/);
      // The last match ends a page: no next page.
      expect((await pages(started.api, '/api/v1/jobs?status=Failed&limit=3')).map(names)).toEqual([['s0-job0', 's3-job0', 's6-job0']]);
    });

    it('status filters the batches by their status, batchId by their batchId', async () => {
      expect(names(await get(started.api, '/api/v1/batches?status=Failed'))).toEqual(['done']);
      expect(names(await get(started.api, '/api/v1/batches?status=Waiting,Running'))).toEqual(['nightly', 'busy']);
      expect(names(await get(started.api, '/api/v1/batches?batchId=nightly'))).toEqual(['nightly']);
      expect(names(await get(started.api, '/api/v1/batches?batchId=nightly&status=Running'))).toEqual([]);
      expect((await pages(started.api, '/api/v1/batches?status=Failed,Running&limit=1')).map(names)).toEqual([['done'], ['busy']]);
    });

    it('status and jobId filter the jobs of a batch; the batch keeps the status of all of its jobs', async () => {
      const waiting = JSON.parse((await get(started.api, '/api/v1/batches/busy?status=Waiting')).text) as BatchStatusView;
      expect(waiting).toMatchObject({ name: 'busy', status: 'Running' });
      expect(waiting.jobStatuses?.map((j) => j.name)).toEqual(['busy-job1']);
      expect(jobNamesOf(await get(started.api, '/api/v1/batches/busy?jobId=mine'))).toEqual(['busy-job1']);
      expect(jobNamesOf(await get(started.api, '/api/v1/batches/busy?jobId=other'))).toEqual([]);
    });

    it('ignores parameters it does not know, as before', async () => {
      expect((await get(started.api, '/api/v1/jobs?foo=bar&_=123')).text).toBe(await whole.jobs());
    });
  });

  describe('bad parameters', () => {
    const statuses = 'Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped';
    const batchStatuses = 'Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped, Completed';
    let batchCursor: string;
    let jobsCursor: string;

    beforeAll(async () => {
      await started.redis.flush();
      await create(batchOf('b1', 3), batchOf('b2', 1, 1), single('s1', 1), single('s2', 2));
      jobsCursor = /continue=([^&>]+)/.exec((await get(started.api, '/api/v1/jobs?limit=1')).headers.get('link')!)![1];
      batchCursor = /continue=([^&>]+)/.exec((await get(started.api, '/api/v1/batches/b1?limit=1')).headers.get('link')!)![1];
    });

    it.each([
      ['/api/v1/jobs?limit=0', 'limit must be a whole number from 1 to 1000, got "0"'],
      ['/api/v1/jobs?limit=1001', 'limit must be a whole number from 1 to 1000, got "1001"'],
      ['/api/v1/jobs?limit=ten', 'limit must be a whole number from 1 to 1000, got "ten"'],
      ['/api/v1/jobs?limit=2.5', 'limit must be a whole number from 1 to 1000, got "2.5"'],
      ['/api/v1/jobs?limit=', 'limit must be a whole number from 1 to 1000, got ""'],
      ['/api/v1/jobs?limit=1&limit=2', 'limit must be given once'],
      ['/api/v1/jobs?continue=not-a-cursor', 'continue is not a cursor of the single jobs: pass on the one of the Link header (rel="next") of the previous page'],
      ['/api/v1/jobs?continue=e30', 'continue is not a cursor of the single jobs: pass on the one of the Link header (rel="next") of the previous page'],
      ['/api/v1/batches?continue=JOBS', 'continue is not a cursor of the batches: pass on the one of the Link header (rel="next") of the previous page'],
      ['/api/v1/batches/b2?continue=BATCH', 'continue is not a position in this list: it does not point into the batch b2'],
      ['/api/v1/jobs?status=Done', `status must be one or more of ${statuses}, separated by commas; got "Done"`],
      ['/api/v1/jobs?status=running', `status must be one or more of ${statuses}, separated by commas; got "running"`],
      ['/api/v1/jobs?status=Running,,Failed', `status must be one or more of ${statuses}, separated by commas; got ""`],
      ['/api/v1/batches?status=Done', `status must be one or more of ${batchStatuses}, separated by commas; got "Done"`],
      ['/api/v1/jobs?batchId=x', 'batchId is not a filter of the single jobs: use status or jobId'],
      ['/api/v1/batches?jobId=x', 'jobId is not a filter of the batches: use status or batchId'],
      ['/api/v1/batches/b1?batchId=x', 'batchId is not a filter of the jobs of the batch (jobStatuses): use status or jobId'],
      ['/api/v1/jobs?jobId=a&jobId=b', 'jobId must be given once'],
      ['/api/v1/jobs?limit=0&status=Done&batchId=x', `limit must be a whole number from 1 to 1000, got "0"; status must be one or more of ${statuses}, separated by commas; got "Done"; batchId is not a filter of the single jobs: use status or jobId`],
    ])('GET %s answers 422 naming the parameter, and changes nothing', async (path, message) => {
      const before = await redisSnapshot(started.client);
      const answer = await get(started.api, path.replace('JOBS', jobsCursor).replace('BATCH', batchCursor));
      expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({ status: 422, body: { status: 'Failure', message, reason: 'Invalid', code: 422 } });
      expect(answer.headers.get('link')).toBeNull();
      expect(await redisSnapshot(started.client)).toEqual(before);
    });

    it('answers 404 for an unknown batch before it looks at the parameters of its jobs', async () => {
      const answer = await get(started.api, `/api/v1/batches/nope?continue=${batchCursor}`);
      expect(answer.status).toBe(404);
    });
  });
});

/** GET /batches once the API's Redis connection is back (it reconnects within 2 s). */
async function servedAgain(api: ApiApp): Promise<{ status: number; text: string }> {
  return eventually(async () => {
    const answer = await get(api, '/api/v1/batches');
    return answer.status !== 503 && { status: answer.status, text: answer.text };
  }, 'the API to serve again');
}

describe('a list answer when Redis fails after it has started', () => {
  let started: ApiTestBed;
  withApi(async (bed) => {
    started = bed;
    // About 25 MB of answer: more than the socket buffers between server and client can hold, so
    // the server is still reading Redis while the client holds back.
    await bed.api.store.create(withJobs(batchOf('big', 20_000), () => ({ message: 'x'.repeat(1000) })));
  });

  it('closes the connection before the end of the body: the client never gets a complete 200 answer', async () => {
    const outcome = await new Promise<{ status?: number; received: number; ended: boolean; error?: string }>((resolve) => {
      let received = 0;
      const request = httpRequest(`${started.api.url}/api/v1/batches/big`, (response) => {
        response.once('data', (chunk: Buffer) => {
          received += chunk.length;
          response.pause();
          void started.redis.kill().then(() => {
            response.on('data', (more: Buffer) => (received += more.length));
            response.resume();
          });
        });
        response.on('end', () => resolve({ status: response.statusCode, received, ended: true }));
        response.on('error', (error) => resolve({ status: response.statusCode, received, ended: false, error: error.message }));
      });
      request.on('error', (error) => resolve({ received, ended: false, error: error.message }));
      request.end();
    });
    expect(outcome).toMatchObject({ status: 200, ended: false, error: 'aborted' });
    expect(outcome.received).toBeGreaterThan(0);
    expect(started.api.logs.lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 40, url: '/api/v1/batches/big', msg: 'a list answer was broken off: reading it failed after it had started, so the connection is closed' }),
      ]),
    );
  });

  it('answers 503 while Redis is down, before anything is sent, and serves the list again once it is back', async () => {
    const down = await get(started.api, '/api/v1/batches/big');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    await started.redis.restart();
    // The restarted redis-server is empty (no persistence in this test): the batch is gone.
    expect(await servedAgain(started.api)).toEqual({ status: 200, text: '[]' });
  });
});

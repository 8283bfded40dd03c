import { type ApiApp, withApi } from '../api/api-app';

type Json = Record<string, unknown>;

async function post(url: string, path: string, body: unknown, key?: string): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers['idempotency-key'] = key;
  const response = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Json };
}

async function get(url: string, path: string): Promise<{ status: number; body: unknown; link: string | null }> {
  const response = await fetch(url + path);
  return { status: response.status, body: await response.json(), link: response.headers.get('link') };
}

describe('Idempotency-Key on the create routes', () => {
  let api: ApiApp;
  withApi(async (bed) => {
    api = bed.api;
  });

  it('answers a repeat with the first answer and creates nothing', async () => {
    const first = await post(api.url, '/api/v1/jobs', { jobId: 'once', priority: 7 }, '"key-repeat"');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ jobId: 'once', status: 'Waiting', priority: 7 });
    // The same JSON with its keys in another order is the same request.
    const again = await post(api.url, '/api/v1/jobs', { priority: 7, jobId: 'once' }, '"key-repeat"');
    expect(again.status).toBe(200);
    expect(again.body.name).toBe(first.body.name);
    expect((await api.store.countByStatus()).Waiting).toBe(1);
  });

  it('refuses the same key with another body (422) and a bad key (400), creating nothing', async () => {
    const before = (await api.store.countByStatus()).Waiting;
    await post(api.url, '/api/v1/batches', { jobScheduleDescriptions: [{}] }, 'key-other');
    const other = await post(api.url, '/api/v1/batches', { jobScheduleDescriptions: [{}, {}] }, 'key-other');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ status: 'Failure', code: 422, reason: 'Invalid' });
    expect(other.body.message).toMatch(/Idempotency-Key was used with a different request/);
    // The same key on the other create route is another request too.
    expect((await post(api.url, '/api/v1/jobs', { jobScheduleDescriptions: [{}] }, 'key-other')).status).toBe(422);
    const bad = await post(api.url, '/api/v1/jobs', {}, '');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/Idempotency-Key header must be/);
    expect((await api.store.countByStatus()).Waiting).toBe(before + 1);
  });

  it('answers 409 while the first request with the key is still being processed, and a refused request leaves the key free', async () => {
    // The first request's jobs are recorded, and not yet handed to the launch queue: as it is
    // between the two steps of accepting.
    const body = { jobId: 'busy' };
    const fingerprint = (await import('../../apps/api/src/idempotency-key')).requestFingerprint('POST /api/v1/jobs', body);
    const batch = { name: 'batch-compute-busy', batchType: 'job' as const, created: '2026-01-01T00:00:00Z', jobNames: ['batch-compute-busy-job'] };
    const record = { name: 'batch-compute-busy-job', jobId: 'busy', batchName: batch.name, batchType: 'job' as const, created: batch.created, updated: batch.created, status: 'Waiting' as never, failed: 0, podStatuses: [] };
    const spec = { name: record.name, batchName: batch.name, batchType: 'job' as const, component: 'compute', timeLimitSeconds: 10, backoffLimit: 0, resources: {}, variables: {}, hasPayload: false };
    await api.store.create({ batch, jobs: [{ record, spec }] }, { key: 'key-busy', fingerprint });
    const busy = await post(api.url, '/api/v1/jobs', body, 'key-busy');
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ status: 'Failure', code: 409, reason: 'Conflict' });
    expect(busy.body.message).toMatch(/still being processed/);
    // Once it is queued, the repeat gets the job.
    await api.store.markDispatched([record.name]);
    const done = await post(api.url, '/api/v1/jobs', body, 'key-busy');
    expect(done.status).toBe(200);
    expect(done.body.name).toBe(record.name);
    // A request refused by the merged-spec rules leaves nothing under its key.
    const refused = await post(api.url, '/api/v1/jobs', { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }, 'key-refused');
    expect(refused.status).toBe(422);
    const retried = await post(api.url, '/api/v1/jobs', {}, 'key-refused');
    expect(retried.status).toBe(200);
  });

  it('creates one job from 50 identical requests sent at once', async () => {
    const before = (await api.store.countByStatus()).Waiting;
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(api.url, '/api/v1/jobs', { jobId: 'fifty' }, 'key-fifty')));
    const created = answers.filter((a) => a.status === 200);
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    expect(new Set(created.map((a) => a.body.name)).size).toBe(1);
    expect((await api.store.countByStatus()).Waiting).toBe(before + 1);
    // Once answered, a repeat gets the same job.
    const later = await post(api.url, '/api/v1/jobs', { jobId: 'fifty' }, 'key-fifty');
    expect(later.body.name).toBe(created[0].body.name);
  });
});

describe('GET /api/v1/queue', () => {
  let api: ApiApp;
  withApi(async (bed) => {
    api = bed.api;
  });

  it('lists the Waiting jobs in launch order, paged, and a Waiting job shows its place', async () => {
    const low = await post(api.url, '/api/v1/batches', { batchId: 'low', jobScheduleDescriptions: [{ jobId: 'l0' }, { jobId: 'l1' }, { jobId: 'l2' }] });
    const high = await post(api.url, '/api/v1/jobs', { jobId: 'h', priority: 1000 });
    const mixed = await post(api.url, '/api/v1/batches', {
      defaultRadixJobComponentConfig: { priority: 10 },
      jobScheduleDescriptions: [{ jobId: 'm0' }, { jobId: 'm1', priority: 0 }],
    });
    expect([low.status, high.status, mixed.status]).toEqual([200, 200, 200]);
    expect(high.body.priority).toBe(1000);

    const seen: Json[] = [];
    let path: string | undefined = '/api/v1/queue?limit=2';
    while (path) {
      const page = await get(api.url, path);
      expect(page.status).toBe(200);
      seen.push(...(page.body as Json[]));
      path = page.link ? /<([^>]+)>/.exec(page.link)![1] : undefined;
    }
    expect(seen.map((e) => e.jobId)).toEqual(['h', 'm0', 'l0', 'l1', 'l2', 'm1']);
    expect(seen.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.map((e) => e.priority)).toEqual([1000, 10, 0, 0, 0, 0]);
    expect(seen[2]).toMatchObject({ batchName: low.body.name });

    const job = await get(api.url, `/api/v1/jobs/${seen[2].name as string}`);
    expect(job.body).toMatchObject({ status: 'Waiting', queuePosition: 3 });
    // Stopping a Waiting job takes it out of the queue; the ones after it move up.
    expect((await post(api.url, `/api/v1/jobs/${high.body.name as string}/stop`, {})).status).toBe(200);
    expect((await get(api.url, `/api/v1/jobs/${seen[2].name as string}`)).body).toMatchObject({ queuePosition: 2 });
    const stopped = (await get(api.url, `/api/v1/jobs/${high.body.name as string}`)).body as Json;
    expect(stopped.queuePosition).toBeUndefined();
    expect((await api.store.countWaitingBefore(Number.MAX_SAFE_INTEGER))).toBe(5);
  });

  it('refuses filters and a cursor of another list', async () => {
    expect((await get(api.url, '/api/v1/queue?status=Waiting')).status).toBe(422);
    expect((await get(api.url, '/api/v1/queue?continue=abc')).status).toBe(422);
  });
});

import type { BatchStatusView } from '@rjs/core';
import { type ApiApp, call, withApi } from '../api/api-app';

/** The console's read routes over real HTTP (the api role on a real Redis): their contract, errors and OpenAPI entries. */
describe('the console\'s read routes', () => {
  let api: ApiApp;
  withApi((bed) => {
    api = bed.api;
  });

  it('pages the batches newest first with their counts, and goes on with `next`', async () => {
    const names: string[] = [];
    for (const batchId of ['first', 'second', 'third']) {
      const { body } = await call<BatchStatusView>(api.url, 'POST', '/api/v1/batches', { json: { batchId, jobScheduleDescriptions: [{}, {}] } });
      names.push(body.name);
    }
    type Page = { items: { name: string; created: string; jobCount: number; counts: Record<string, number> }[]; next?: string };
    const first = await call<Page>(api.url, 'GET', '/console/api/batches?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toMatchObject({ status: 'Waiting', jobCount: 2, counts: { Waiting: 2, Running: 0 } });
    const second = await call<Page>(api.url, 'GET', `/console/api/batches?limit=2&before=${encodeURIComponent(first.body.next!)}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next).toBeUndefined();
    // Newest first by creation time (to the second, as `created` says; within one second by name, in reverse).
    const all = [...first.body.items, ...second.body.items];
    expect(all.map((b) => b.name).sort()).toEqual([...names].sort());
    expect(all.map((b) => b.created)).toEqual(all.map((b) => b.created).sort().reverse());
  });

  it('answers 422 naming every bad parameter, and 404 for an unknown job, in the Status body', async () => {
    expect(await call(api.url, 'GET', '/console/api/batches?kind=jobs&limit=0')).toMatchObject({
      status: 422,
      body: { status: 'Failure', reason: 'Invalid', code: 422, message: 'kind must be batches or singles; limit must be an integer from 1 to 100' },
    });
    expect(await call(api.url, 'GET', '/console/api/jobs/nothing-here')).toMatchObject({
      status: 404,
      body: { status: 'Failure', reason: 'NotFound', code: 404, message: 'job nothing-here is not found' },
    });
  });

  it('says the console is read-only when no credentials are set', async () => {
    expect((await call(api.url, 'GET', '/console/api/session')).body).toEqual({ signedIn: false, component: 'compute' });
  });

  it('documents its routes in the OpenAPI document under the tag console', async () => {
    const { body } = await call<{ paths: Record<string, Record<string, { operationId: string; tags: string[] }>> }>(api.url, 'GET', '/swagger/json');
    const console = Object.entries(body.paths).filter(([path]) => path.startsWith('/console/'));
    expect(console.map(([path, ops]) => `${Object.keys(ops).join()} ${path} ${Object.values(ops)[0].operationId}`).sort()).toEqual([
      'get /console/api/activity getConsoleActivity',
      'get /console/api/batches getConsoleBatches',
      'get /console/api/jobs/{jobName} getConsoleJob',
      'get /console/api/session getConsoleSession',
    ]);
    for (const [, ops] of console) expect(Object.values(ops)[0].tags).toEqual(['console']);
  });
});

import { request } from 'node:http';
import type { NotificationDocument } from '@rjs/core';
import { EventStreamHub } from '../../apps/api/src/events/event-stream-hub';
import { MAX_CLIENT_BUFFER_BYTES } from '../../apps/api/src/events/events.controller';
import { eventually } from '../support/eventually';
import { SseClient } from '../support/sse-client';
import { type ApiApp, type ApiTestBed, call, postBatch, postJob, withApi } from './api-app';

/**
 * GET /api/v1/events with a real HTTP client: changes made through another API process (one Redis)
 * stream live, Last-Event-ID resumes without gaps, filters, bad input answered 422, a client that
 * does not read is cut off.
 */
describe('GET /api/v1/events', () => {
  let bed: ApiTestBed;
  let other: ApiApp;
  const clients: SseClient[] = [];
  const open = async (path = '', headers: Record<string, string> = {}) => {
    const client = await SseClient.open(`${bed.api.url}/api/v1/events${path}`, headers);
    clients.push(client);
    return client;
  };
  withApi(async (testBed) => {
    bed = testBed;
    other = await testBed.start('compute');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it('streams the changes another API process makes, one event per change, with ids that resume without gaps', async () => {
    const live = await open();
    expect(live.status).toBe(200);
    expect(live.contentType).toMatch(/^text\/event-stream/);
    const { body: batch } = await postBatch(other, { batchId: 'sse', jobScheduleDescriptions: [{ jobId: 'x' }, { jobId: 'y' }] });
    const { body: job } = await postJob(other, { jobId: 'single' });
    await live.waitFor(2);
    const [created, single] = live.documents<NotificationDocument>();
    expect(created).toMatchObject({ name: batch.name, batchId: 'sse', batchType: 'batch', status: 'Waiting', event: 'Create' });
    expect(created.jobStatuses.map((j) => j.jobId)).toEqual(['x', 'y']);
    expect(single).toMatchObject({ batchType: 'job', event: 'Create' });
    expect(single.jobStatuses.map((j) => j.name)).toEqual([job.name]);

    // Disconnected after the first event; meanwhile more changes; resumed from the first's id.
    const firstId = live.events[0].id!;
    await live.close();
    expect((await call(other.url, 'POST', `/api/v1/jobs/${job.name}/stop`)).status).toBe(200);
    expect((await call(other.url, 'DELETE', `/api/v1/batches/${batch.name}`)).status).toBe(200);
    const resumed = await open('', { 'last-event-id': firstId });
    await resumed.waitFor(3);
    const documents = resumed.documents<NotificationDocument>();
    expect(documents.map((d) => [d.event, d.name])).toEqual([
      ['Create', single.name],
      ['Update', single.name],
      ['Delete', batch.name],
    ]);
    expect(documents[1]).toMatchObject({ status: 'Stopped', jobStatuses: [{ name: job.name, status: 'Stopped' }] });
    expect(documents[2].jobStatuses.map((j) => j.jobId)).toEqual(['x', 'y']);
    // The same ids as the live stream gave, in order, none twice.
    expect(resumed.events[0].id).toBe(live.events[1].id);
    const ids = resumed.events.map((e) => e.id!);
    expect(new Set(ids).size).toBe(ids.length);

    // And it stays live after the replay.
    await postJob(other, { jobId: 'after' });
    await resumed.waitFor(4);
    expect(resumed.documents<NotificationDocument>()[3].jobStatuses[0].jobId).toBe('after');
  });

  it('says so first, with an event of type gap, when the Last-Event-ID is no longer kept', async () => {
    const live = await open();
    const jobs = [];
    for (const jobId of ['one', 'two', 'three']) jobs.push((await postJob(other, { jobId })).body);
    await live.waitFor(3);
    const ids = live.events.map((event) => event.id!);

    // Nothing trimmed: no gap.
    const kept = await open('', { 'last-event-id': ids[0] });
    await kept.waitFor(2);
    expect(kept.events.map((event) => [event.type, event.id])).toEqual([
      [undefined, ids[1]],
      [undefined, ids[2]],
    ]);

    // What EVENTS_STREAM_MAXLEN does to a long stream: the oldest entries go, here all but the last.
    await bed.client.xtrim('rjs:{compute}:events', 'MAXLEN', 1);
    const resumed = await open('', { 'last-event-id': ids[0] });
    await resumed.waitFor(2);
    expect(resumed.events[0]).toMatchObject({ type: 'gap', id: undefined });
    expect(JSON.parse(resumed.events[0].data)).toEqual({
      lastEventId: ids[0],
      oldestKeptId: ids[2],
      message: expect.stringContaining(`the event ${ids[0]} is no longer kept (EVENTS_STREAM_MAXLEN), the oldest kept is ${ids[2]}`),
    });
    expect(resumed.events[1]).toMatchObject({ type: undefined, id: ids[2] });
    expect(JSON.parse(resumed.events[1].data)).toMatchObject({ event: 'Create', jobStatuses: [{ name: jobs[2].name }] });
    // Live after it.
    await postJob(other, { jobId: 'four' });
    await resumed.waitFor(3);
    expect(resumed.events[2].type).toBeUndefined();
  });

  it('filters by batchName and by jobName', async () => {
    const { body: batch } = await postBatch(other, { jobScheduleDescriptions: [{ jobId: 'p' }, { jobId: 'q' }] });
    const names = (await call<{ jobStatuses: { name: string; jobId: string }[] }>(other.url, 'GET', `/api/v1/batches/${batch.name}`)).body.jobStatuses;
    const q = names.find((j) => j.jobId === 'q')!.name;
    const byBatch = await open(`?batchName=${batch.name}`);
    const byJob = await open(`?jobName=${q}`);
    const everything = await open();
    await postJob(other, {});
    expect((await call(other.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${names[0].name}/stop`)).status).toBe(200);
    expect((await call(other.url, 'POST', `/api/v1/batches/${batch.name}/jobs/${q}/stop`)).status).toBe(200);
    await everything.waitFor(3);
    await byBatch.waitFor(2);
    await byJob.waitFor(1);
    expect(byBatch.documents<NotificationDocument>().every((d) => d.name === batch.name)).toBe(true);
    expect(byBatch.documents()).toHaveLength(2);
    expect(byJob.documents<NotificationDocument>().map((d) => d.jobStatuses.map((j) => j.name))).toEqual([[q]]);
  });

  it.each([
    ['?batchName=a&batchName=b', {}, 'batchName must be given once'],
    ['?jobName=', {}, 'jobName must not be empty'],
    ['', { 'last-event-id': 'yesterday' }, 'Last-Event-ID must be the id of an event this stream sent'],
  ])('answers 422 to %s %j', async (query, headers, message) => {
    const client = await open(query, headers);
    expect(client.status).toBe(422);
  });

  it('cuts off a client that does not read, without growing the server memory past its buffer', async () => {
    // A raw connection that never reads: the server's socket buffer fills, then the answer's.
    const url = new URL(`${bed.api.url}/api/v1/events`);
    const hub = bed.api.app.get(EventStreamHub);
    const connection = request({ host: url.hostname, port: url.port, path: url.pathname }, (response) => response.pause());
    connection.end();
    await eventually(() => hub.listeners === 1, 'the client to listen');
    // Each Create event holds every job of its batch: about 1 MB for 5,000 jobs. The kernel's socket
    // buffers take some megabytes first.
    const jobs = Array.from({ length: 5000 }, (_, i) => ({ jobId: `slow-${i}` }));
    let sent = 0;
    await eventually(
      async () => {
        expect((await postBatch(other, { jobScheduleDescriptions: jobs })).status).toBe(200);
        sent++;
        // (The client's own socket, paused, would not tell: the server lets it go.)
        return hub.listeners === 0;
      },
      () => `the slow client to be cut off after ${sent} batches (limit ${MAX_CLIENT_BUFFER_BYTES} bytes)`,
      90_000,
    );
    process.stdout.write(`[events] a client that does not read was cut off after ${sent} batches of 5,000 jobs\n`);
    connection.destroy();
    // Well past what the socket buffers take, but the server kept no more than its limit.
    expect(sent).toBeGreaterThan(1);
  }, 120_000);
});

import type Redis from 'ioredis';
import { InDoubtAccepts, JobStatus } from '@rjs/core';
import { RedisKeys, RedisStatusStore } from '@rjs/store';
import { STORE_UNAVAILABLE_MESSAGE } from '../../apps/api/src/api-exception.filter';
import { AnswerLosingProxy } from '../support/answer-losing-proxy';
import { eventually } from '../support/eventually';
import { withRedis } from '../support/redis-server';
import { type ApiApp, call, postJob, startApi } from './api-app';

/**
 * Redis runs an accept's write and fails before answering (a crash between the two): the API cannot
 * know whether the job was recorded and answers 503, so the job must not run. Once Redis answers
 * again the API takes the batch back, before recovery would queue it.
 */
describe('an accept whose answer from Redis is lost', () => {
  let proxy: AnswerLosingProxy;
  let api: ApiApp;
  let store: RedisStatusStore;
  let client: Redis;
  const keys = new RedisKeys('compute');

  withRedis(async ({ redis, closeAfter }) => {
    proxy = await AnswerLosingProxy.start(redis.port);
    closeAfter(() => proxy.stop());
    api = await startApi(proxy.url, 'compute', { LOG_LEVEL: 'info' });
    closeAfter(() => api.close());
    // A test that failed half-way leaves no connection refused for the closes.
    closeAfter(() => proxy.heal());
    client = redis.client();
    closeAfter(() => client.quit());
    store = new RedisStatusStore(client, 'compute');
    // Redis knows the record script once a job was accepted (a first call's NOSCRIPT answer would be the one lost).
    const warmUp = await postJob(api, {});
    if (warmUp.status !== 200 || (await call(api.url, 'DELETE', `/api/v1/jobs/${warmUp.body.name}`)).status !== 200) throw new Error('the warm-up job failed');
  });

  it('answers 503, and withdraws the batch Redis wrote once Redis answers again', async () => {
    const lostBefore = proxy.lost;
    proxy.loseAnswerTo('in-doubt-payload', 'refuse');
    const answer = await call(api.url, 'POST', '/api/v1/jobs', { json: { payload: 'in-doubt-payload' } }, { 'idempotency-key': 'in-doubt-key' });
    expect(answer).toMatchObject({ status: 503, body: { reason: 'ServiceUnavailable', message: STORE_UNAVAILABLE_MESSAGE } });
    expect(proxy.lost).toBe(lostBefore + 1);

    // It did land: Redis holds the job, Waiting in the dispatch outbox, that nobody was told of.
    const [landed] = await store.listSingleJobs();
    expect(landed).toMatchObject({ status: JobStatus.Waiting });
    expect(await store.pendingDispatch()).toEqual([landed.name]);
    expect(api.app.get(InDoubtAccepts).size).toBe(1);

    // Requests while Redis cannot be reached never leave: their 503 leaves nothing in doubt.
    expect((await postJob(api, { payload: 'refused' })).status).toBe(503);
    expect(api.app.get(InDoubtAccepts).size).toBe(1);

    await proxy.heal();
    await eventually(async () => (await store.getBatch(landed.batchName)) === undefined, 'the batch to be withdrawn', 10_000);
    expect(await store.getJob(landed.name)).toBeUndefined();
    expect(await store.getPayload(landed.name)).toBeUndefined();
    expect(await store.pendingDispatch()).toEqual([]);
    expect(await store.countByStatus()).toMatchObject({ Waiting: 0 });
    expect(api.app.get(InDoubtAccepts).size).toBe(0);
    expect(api.logs.lines).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'withdrew an accept answered 503: Redis had written it before failing', batch: landed.batchName })]));
    // Its Idempotency-Key went with it: the repeat of the refused request is accepted as new.
    await eventually(async () => (await postJob(api, {})).status === 200, 'the API to accept again', 10_000);
    const repeat = await call<{ name: string }>(api.url, 'POST', '/api/v1/jobs', { json: { payload: 'in-doubt-payload' } }, { 'idempotency-key': 'in-doubt-key' });
    expect(repeat.status).toBe(200);
    expect(repeat.body.name).not.toBe(landed.name);
    expect(await store.getJob(repeat.body.name)).toMatchObject({ status: JobStatus.Waiting });
    // The events stream says what happened to the withdrawn job: created, then deleted.
    const events = await client.xrange(keys.events, '-', '+');
    expect(events.filter(([, fields]) => fields.join(' ').includes(landed.name)).map(([, fields]) => fields[1])).toEqual(['Create', 'Delete']);
  }, 30_000);

  it.each([
    ['', {}],
    [' with an Idempotency-Key', { 'idempotency-key': 'resent-key' }],
  ])('records the job once when the client sends the write again on a new connection (ioredis resends what was unanswered)%s', async (what, headers) => {
    const payload = `resent-payload${what}`;
    const lostBefore = proxy.lost;
    proxy.loseAnswerTo(payload, 'reconnect');
    const answer = await call<{ name: string }>(api.url, 'POST', '/api/v1/jobs', { json: { payload } }, headers);
    expect(proxy.lost).toBe(lostBefore + 1);
    expect(answer.status).toBe(200);
    const withThePayload: string[] = [];
    for (const job of await store.listSingleJobs()) {
      if ((await store.getPayload(job.name)) === payload) withThePayload.push(job.name);
    }
    expect(withThePayload).toEqual([answer.body.name]);
    expect(api.app.get(InDoubtAccepts).size).toBe(0);
  }, 30_000);
});

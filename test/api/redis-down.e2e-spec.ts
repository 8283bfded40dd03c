import { STORE_UNAVAILABLE_MESSAGE } from '../../apps/api/src/api-exception.filter';
import { eventually } from '../support/eventually';
import type { TestRedis } from '../support/redis-server';
import { type ApiApp, call, postJob, withApi } from './api-app';

/** While Redis is down every route answers 503 at once (no hang); once it is back the API serves again. */
describe('the API while Redis is down', () => {
  let redis: TestRedis;
  let api: ApiApp;
  let jobName: string;

  withApi(async (bed) => {
    ({ redis, api } = bed);
    jobName = (await postJob(api, {})).body.name;
    await redis.kill();
  });

  const unavailable = { status: 'Failure', message: STORE_UNAVAILABLE_MESSAGE, reason: 'ServiceUnavailable', code: 503 };

  it.each([
    ['POST', '/api/v1/jobs', { json: { payload: 'x' } }],
    ['POST', '/api/v1/jobs', undefined],
    ['POST', '/api/v1/batches', { json: { jobScheduleDescriptions: [{}] } }],
    ['GET', '/api/v1/jobs', undefined],
    ['GET', '/api/v1/jobs/JOB', undefined],
    ['POST', '/api/v1/jobs/JOB/stop', undefined],
    ['DELETE', '/api/v1/jobs/JOB', undefined],
    ['POST', '/api/v1/jobs/stop', undefined],
    ['GET', '/api/v1/batches', undefined],
    ['POST', '/api/v1/batches/stop', undefined],
  ] as const)('%s %s answers 503 within 2 seconds', async (method, path, body) => {
    const started = Date.now();
    const answer = await call(api.url, method, path.replace('JOB', jobName), body);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer).toMatchObject({ status: 503, body: unavailable });
  });

  it('still rejects an invalid request with 422 (validation needs no Redis)', async () => {
    expect(await call(api.url, 'POST', '/api/v1/jobs', { json: { timeLimitSeconds: 0 } })).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
  });

  it('logs the outage as a warning', () => {
    expect(api.logs.lines).toEqual(expect.arrayContaining([expect.objectContaining({ level: 40, msg: 'request failed: the status store is unavailable', code: 503 })]));
  });

  it('serves again once Redis is back', async () => {
    await redis.restart();
    let answer = await postJob(api, {});
    await eventually(async () => (answer = await postJob(api, {})).status !== 503, 'the API to answer other than 503', 15_000);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('Waiting');
  });
});

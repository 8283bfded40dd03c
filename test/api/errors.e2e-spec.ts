import type Redis from 'ioredis';
import { MAX_PAYLOAD_BYTES } from '@rjs/core';
import { type ApiApp, call, postBatch, postJob, redisSnapshot, storedSpec, withApi } from './api-app';
import { RedisKeys } from '@rjs/store';
import { queuePrefix, launchQueueName } from '@rjs/queue';

type Body = Parameters<typeof call>[3];
const json = (value: unknown): Body => ({ json: value });
const raw = (text: string, contentType = 'application/json'): Body => ({ raw: text, contentType });

const failure = (code: number, reason: string, message: string | RegExp) => ({
  status: code,
  contentType: expect.stringMatching(/^application\/json/),
  body: { status: 'Failure', reason, code, message: typeof message === 'string' ? message : expect.stringMatching(message) },
});

/**
 * Every kind of bad request gets the Radix Status body with the right code, and leaves no trace:
 * the Redis database (records, indexes, outboxes and BullMQ's keys) is exactly as it was before.
 */
describe('bad requests', () => {
  let client: Redis;
  let api: ApiApp;
  let bare: ApiApp;
  let small: ApiApp;

  withApi(async (bed) => {
    ({ client, api } = bed);
    bare = await bed.start('bare');
    small = await bed.start('compute', { MAX_BODY_BYTES: '4096' });
    // Some accepted work first, so that "nothing changed" is checked against real queue and store keys.
    expect((await postJob(api, { payload: 'x' })).status).toBe(200);
    expect((await call(api.url, 'POST', '/api/v1/batches', json({ jobScheduleDescriptions: [{}] }))).status).toBe(200);
  });

  /** Sends the request and checks the answer, and that Redis did not change. */
  async function expectRejected(app: ApiApp, method: string, path: string, body: Body, expected: ReturnType<typeof failure>) {
    // At rest: what earlier tests accepted is in the launch queue (accepting answers before that).
    await Promise.all([api, bare, small].map((app) => app.handedOff()));
    const before = await redisSnapshot(client);
    expect(Object.keys(before).some((k) => k.startsWith(`${RedisKeys.prefix('compute')}:`))).toBe(true);
    expect(Object.keys(before).some((k) => k.startsWith(`${queuePrefix('compute')}:${launchQueueName('compute')}:`))).toBe(true);
    expect(await call(app.url, method, path, body)).toEqual(expected);
    expect(await redisSnapshot(client)).toEqual(before);
  }

  describe('unparseable JSON: 400', () => {
    it.each([
      ['a truncated object', '{"payload": "x"'],
      ['single quotes', "{'payload': 'x'}"],
      ['a trailing comma', '{"payload": "x",}'],
      ['plain text', 'payload=x'],
      ['a prototype key', '{"__proto__": {"polluted": true}}'],
    ])('%s', async (_name, text) => {
      await expectRejected(api, 'POST', '/api/v1/jobs', raw(text), failure(400, 'BadRequest', 'the request body is not valid JSON'));
      await expectRejected(api, 'POST', '/api/v1/batches', raw(text), failure(400, 'BadRequest', 'the request body is not valid JSON'));
    });
  });

  describe('invalid requests: 422 naming every offending field', () => {
    it.each([
      { name: 'an array body', path: '/api/v1/jobs', body: json([{ payload: 'x' }]), message: 'the request body must be a JSON object, got an array' },
      { name: 'a number body', path: '/api/v1/jobs', body: raw('42'), message: 'the request body must be a JSON object, got a number' },
      { name: 'a string body', path: '/api/v1/jobs', body: raw('"job"'), message: 'the request body must be a JSON object, got a string' },
      { name: 'a batch without a body', path: '/api/v1/batches', body: undefined, message: 'the request body must be a JSON object, got nothing' },
      { name: 'a batch with an empty JSON body', path: '/api/v1/batches', body: raw(''), message: 'the request body must be a JSON object, got nothing' },
      { name: 'a batch with no jobs', path: '/api/v1/batches', body: json({ jobScheduleDescriptions: [] }), message: 'jobScheduleDescriptions must hold at least one job' },
      { name: 'a batch without jobScheduleDescriptions', path: '/api/v1/batches', body: json({ batchId: 'b' }), message: 'jobScheduleDescriptions is required' },
      { name: 'timeLimitSeconds 0', path: '/api/v1/jobs', body: json({ timeLimitSeconds: 0 }), message: 'timeLimitSeconds must be >= 1' },
      {
        name: 'fields of a single job',
        path: '/api/v1/jobs',
        body: json({ backoffLimit: -1, command: 'run', variables: { 'BAD-NAME': 'x' }, runtime: { architecture: 'x86' }, node: { gpuCount: 'many' } }),
        message:
          'backoffLimit must be >= 0; runtime.architecture must be one of amd64, arm64; node.gpuCount must be a non-negative whole number (e.g. "1"); ' +
          'variables.BAD-NAME is not a valid variable name (letters, digits and _, not starting with a digit); command must be an array of strings, got a string',
      },
      {
        name: 'a failure policy',
        path: '/api/v1/jobs',
        body: json({ failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 42] } }, { action: 'Restart', onExitCodes: { operator: 'NotIn', values: [1, 1] } }] } }),
        message:
          'failurePolicy.rules[0].onExitCodes.values must not contain 0 with the operator In; failurePolicy.rules[1].action must be one of FailJob, Ignore, Count; ' +
          'failurePolicy.rules[1].onExitCodes.values must not repeat an exit code (1 appears twice)',
      },
      {
        name: 'fields at every level of a batch',
        path: '/api/v1/batches',
        body: json({
          batchId: 7,
          defaultRadixJobComponentConfig: { resources: { limits: { cpu: 'lots' } } },
          jobScheduleDescriptions: [{}, {}, {}, { timeLimitSeconds: 0 }, 'job', { args: [1] }],
        }),
        message:
          'batchId must be a string, got a number; defaultRadixJobComponentConfig.resources.limits.cpu must be a valid quantity (e.g. 100m, 1.5Gi), got "lots"; ' +
          'jobScheduleDescriptions[3].timeLimitSeconds must be >= 1; jobScheduleDescriptions[4] must be an object; jobScheduleDescriptions[5].args[0] must be a string, got a number',
      },
      {
        name: 'a payload over 1 MB',
        path: '/api/v1/jobs',
        body: json({ payload: 'x'.repeat(MAX_PAYLOAD_BYTES + 1) }),
        message: `payload must be at most ${MAX_PAYLOAD_BYTES} bytes`,
      },
      {
        name: 'a payload over 1 MB in one item of a batch',
        path: '/api/v1/batches',
        body: json({ jobScheduleDescriptions: [{ payload: 'ok' }, { payload: 'x'.repeat(MAX_PAYLOAD_BYTES + 1) }] }),
        message: `jobScheduleDescriptions[1].payload must be at most ${MAX_PAYLOAD_BYTES} bytes`,
      },
      {
        name: 'requests over the limits after merging with the component (limit cpu 1)',
        path: '/api/v1/jobs',
        body: json({ resources: { requests: { cpu: '1500m' } } }),
        message: 'resources.requests.cpu must not exceed the limit (1500m > 1)',
      },
      {
        name: 'requests over limits set by the batch defaults',
        path: '/api/v1/batches',
        body: json({ defaultRadixJobComponentConfig: { resources: { limits: { memory: '64Mi' } } }, jobScheduleDescriptions: [{ resources: { requests: { memory: '32Mi' } } }, {}] }),
        message: 'jobScheduleDescriptions[1].resources.requests.memory must not exceed the limit (128Mi > 64Mi)',
      },
    ])('$name', async ({ path, body, message }) => {
      await expectRejected(api, 'POST', path, body, failure(422, 'Invalid', message));
    });

    it('a payload exactly 1 MB is accepted', async () => {
      const answer = await postJob(api, { payload: 'x'.repeat(MAX_PAYLOAD_BYTES) });
      expect(answer.status).toBe(200);
      // Its length as Redis stores it (reading a 1 MB value back would hold jest open: see redisSnapshot).
      expect(await client.strlen(new RedisKeys('compute').payload(answer.body.name))).toBe(MAX_PAYLOAD_BYTES);
    });

    it('a payload on a job component without payload.path', async () => {
      const expected = failure(422, 'Invalid', 'payload is not accepted: job component bare has no payload.path');
      await expectRejected(bare, 'POST', '/api/v1/jobs', json({ payload: '{"x": 10}' }), expected);
      await expectRejected(
        bare,
        'POST',
        '/api/v1/batches',
        json({ jobScheduleDescriptions: [{}, { payload: 'x' }] }),
        failure(422, 'Invalid', 'jobScheduleDescriptions[1].payload is not accepted: job component bare has no payload.path'),
      );
    });
  });

  describe('values the original treats as not set: accepted, as the original does', () => {
    it('node.gpuCount "" is no count, at every level', async () => {
      const job = await postJob(api, { node: { gpu: 'gpu1', gpuCount: '' } });
      expect(job.status).toBe(200);
      expect(await storedSpec(client, 'compute', job.body.name)).toMatchObject({ node: { gpu: 'gpu1' } });
      const batch = await postBatch(api, { defaultRadixJobComponentConfig: { node: { gpu: 'gpu2', gpuCount: '' } }, jobScheduleDescriptions: [{}, { node: { gpuCount: '' } }] });
      expect(batch.status).toBe(200);
      const [first, second] = batch.body.jobStatuses!.map((j) => j.name);
      expect((await storedSpec(client, 'compute', first)).node).toEqual({ gpu: 'gpu2' });
      expect((await storedSpec(client, 'compute', second)).node).toEqual({});
    });

    it('a variable whose value is null is the empty string', async () => {
      const job = await postJob(api, { variables: { EMPTY: null, OVERRIDDEN: null, SET: 'x' } });
      expect(job.status).toBe(200);
      expect((await storedSpec(client, 'compute', job.body.name)).variables).toEqual({ COMPONENT_ONLY: 'component', OVERRIDDEN: '', EMPTY: '', SET: 'x' });
    });

    it.each([
      ['empty', ''],
      ['blanks', '  \t\r\n '],
    ])('a payload that is %s is no payload, on a component without payload.path too', async (_name, payload) => {
      for (const app of [bare, api]) {
        const job = await postJob(app, { payload });
        expect(job.status).toBe(200);
        const component = app === bare ? 'bare' : 'compute';
        expect(await storedSpec(client, component, job.body.name)).toMatchObject({ hasPayload: false });
        expect(await client.exists(new RedisKeys(component).payload(job.body.name))).toBe(0);
      }
      expect((await postBatch(bare, { jobScheduleDescriptions: [{ payload }, { payload: '' }] })).status).toBe(200);
    });

    it.each([
      { name: 'gpuCount of blanks', app: () => api, body: { node: { gpuCount: ' ' } }, message: 'node.gpuCount must be a non-negative whole number (e.g. "1")' },
      { name: 'a variable that is false', app: () => api, body: { variables: { EMPTY: false } }, message: 'variables.EMPTY must be a string, got a boolean' },
      { name: 'a resource value that is null', app: () => api, body: { resources: { limits: { cpu: null } } }, message: 'resources.limits.cpu must be a string, got null' },
      { name: 'a payload of text between blanks, without payload.path', app: () => bare, body: { payload: ' x ' }, message: 'payload is not accepted: job component bare has no payload.path' },
    ])('but their neighbours keep their 422: $name', async ({ app, body, message }) => {
      await expectRejected(app(), 'POST', '/api/v1/jobs', json(body), failure(422, 'Invalid', message));
    });
  });

  it('a body over MAX_BODY_BYTES: 413', async () => {
    const body = json({ payload: 'x'.repeat(5000) });
    await expectRejected(small, 'POST', '/api/v1/jobs', body, failure(413, 'RequestEntityTooLarge', 'the request body is larger than 4096 bytes (MAX_BODY_BYTES)'));
    await expectRejected(small, 'POST', '/api/v1/batches', body, failure(413, 'RequestEntityTooLarge', 'the request body is larger than 4096 bytes (MAX_BODY_BYTES)'));
    expect((await postJob(small, { payload: 'x'.repeat(3000) })).status).toBe(200);
  });

  it.each([
    ['GET', '/api/v1/nothing'],
    ['GET', '/api/v2/jobs'],
    ['PUT', '/api/v1/jobs'],
    ['GET', '/api/v1/jobs/a/b/c'],
    ['DELETE', '/api/v1/batches/x/jobs/y'],
    ['GET', '/'],
  ])('an unknown route %s %s: 404', async (method, path) => {
    await expectRejected(api, method, path, undefined, failure(404, 'NotFound', `no route ${method} ${path}`));
  });
});

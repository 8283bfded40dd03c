import fc from 'fast-check';
import type Redis from 'ioredis';
import { isQuantity } from '@rjs/core';
import { type ApiApp, redisSnapshot, withApi } from '../api/api-app';
import { rawRequest } from './reliability-support';

/**
 * Property-based fuzzing of both POST routes and of the routes that take a name in the path. A
 * valid request is generated, then exactly one known field is broken (wrong type, out of range,
 * bad map key, bad quantity...): the answer must be 422 with a message naming that field's path,
 * and Redis must not change. Names in paths get 400 or 404, never a 5xx.
 */

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NODE_TYPE = /^(([a-z0-9][-a-z0-9]*)?[a-z0-9])?$/;

/** JSON text that secure-json-parse refuses as a whole (400): kept out of bodies meant to get a 422. */
const POISON = /__proto__|constructor|prototype/;

/** Any JSON value but null (null counts as "not set", which is valid). */
const notNull = fc.jsonValue().filter((v) => v !== null);
const notString = notNull.filter((v) => typeof v !== 'string');
const notNumber = notNull.filter((v) => typeof v !== 'number');
const notObject = notNull.filter((v) => typeof v !== 'object' || Array.isArray(v));
const notArray = notNull.filter((v) => !Array.isArray(v));
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const fraction = finite.filter((n) => !Number.isInteger(n));

/** An integer field outside [min, max], or no integer at all. */
const badInteger = (min: number, max: number) =>
  fc.oneof(notNumber, fraction, fc.integer({ max: min - 1 }), fc.integer({ min: max + 1 }), fc.constantFrom(1e21, -1e21, Number.MAX_VALUE, -Number.MAX_VALUE));

const badVariableName = fc.string({ maxLength: 20 }).filter((k) => !VARIABLE_NAME.test(k) || k.length > 253);
const badQuantity = fc.string({ maxLength: 12 }).filter((q) => !isQuantity(q));

const validJob = fc.record(
  {
    jobId: fc.string({ maxLength: 30 }),
    payload: fc.string({ maxLength: 50 }),
    imageTagName: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
    timeLimitSeconds: fc.integer({ min: 1, max: 31_536_000 }),
    backoffLimit: fc.integer({ min: 0, max: 1000 }),
    variables: fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    command: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    args: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    runtime: fc.record({ architecture: fc.constantFrom('amd64', 'arm64') }),
  },
  { requiredKeys: [] },
);

interface Breakage {
  /** Path below the job, as the API names it (`timeLimitSeconds`, `variables.1X`...). */
  path: string;
  apply(job: Record<string, unknown>): void;
}

const set = (field: string, value: unknown, path = field): Breakage => ({ path, apply: (job) => (job[field] = value) });

/** One known field broken in one way. */
const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  badInteger(1, 31_536_000).map((v) => set('timeLimitSeconds', v)),
  badInteger(0, 1000).map((v) => set('backoffLimit', v)),
  fc.constantFrom('payload', 'jobId', 'image', 'imageTagName').chain((field) => notString.map((v) => set(field, v))),
  fc.oneof(notObject.map((v) => set('variables', v))),
  fc.tuple(badVariableName, fc.string()).map(([key, value]) => set('variables', { [key]: value }, `variables.${key}`)),
  fc.tuple(fc.stringMatching(/^[A-Z_]{1,8}$/), notString).map(([key, value]) => set('variables', { [key]: value }, `variables.${key}`)),
  fc.constantFrom('command', 'args').chain((field) =>
    fc.oneof(
      notArray.map((v) => set(field, v)),
      fc.tuple(fc.array(fc.string(), { maxLength: 3 }), notString).map(([good, bad]) => set(field, [...good, bad], `${field}[${good.length}]`)),
    ),
  ),
  fc.constantFrom('limits', 'requests').chain((kind) =>
    fc.oneof(
      notObject.map((v) => set('resources', { [kind]: v }, `resources.${kind}`)),
      fc.tuple(fc.constantFrom('cpu', 'memory', 'nvidia.com/gpu'), badQuantity).map(([name, q]) => set('resources', { [kind]: { [name]: q } }, `resources.${kind}.${name}`)),
    ),
  ),
  notObject.map((v) => set('resources', v)),
  fc.string().filter((a) => a !== 'amd64' && a !== 'arm64').map((a) => set('runtime', { architecture: a }, 'runtime.architecture')),
  fc.string({ maxLength: 130 }).filter((t) => !NODE_TYPE.test(t) || t.length > 120).map((t) => set('runtime', { nodeType: t }, 'runtime.nodeType')),
  // "" is no count (as in the original), not a bad one.
  fc.oneof(notString, fc.string().filter((c) => c !== '' && !/^\d{1,9}$/.test(c))).filter((c) => typeof c !== 'number' || !/^\d{1,9}$/.test(String(c))).map((c) => set('node', { gpuCount: c }, 'node.gpuCount')),
  notObject.map((v) => set('failurePolicy', v)),
  // Rules that are no objects: the message names one of them at least (an array item hides the others).
  fc.oneof(notArray, fc.array(notObject, { minLength: 1, maxLength: 2 })).map((rules) => set('failurePolicy', { rules }, Array.isArray(rules) ? 'failurePolicy.rules[' : 'failurePolicy.rules')),
  fc.string().filter((a) => !['FailJob', 'Ignore', 'Count'].includes(a)).map((action) =>
    set('failurePolicy', { rules: [{ action, onExitCodes: { operator: 'NotIn', values: [1] } }] }, 'failurePolicy.rules[0].action'),
  ),
  fc.oneof(
    fc.constant([]),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 256, maxLength: 300 }),
    fc.tuple(fc.integer({ min: 1, max: 255 }), fc.oneof(fc.integer({ min: 256 }), fc.integer({ max: -1 }), fraction, notNumber)).map(([good, bad]) => [good, bad]),
    fc.integer({ min: 1, max: 255 }).map((c) => [c, c]),
    fc.integer({ min: 1, max: 255 }).map((c) => [c, 0]),
  ).map((values) => set('failurePolicy', { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values } }] }, 'failurePolicy.rules[0].onExitCodes.values')),
);

const invalidJob = fc.tuple(validJob, breakage).map(([job, broken]) => {
  const body = structuredClone(job) as Record<string, unknown>;
  broken.apply(body);
  return { body, path: broken.path };
});

const invalidBatch = fc
  .tuple(fc.array(validJob, { minLength: 1, maxLength: 5 }), validJob, breakage, fc.nat(), fc.boolean())
  .map(([items, defaults, broken, at, inDefaults]) => {
    const { payload: _payload, jobId: _jobId, ...defaultConfig } = structuredClone(defaults);
    const body = { batchId: 'fuzz', defaultRadixJobComponentConfig: defaultConfig as Record<string, unknown>, jobScheduleDescriptions: structuredClone(items) as Record<string, unknown>[] };
    // payload and jobId are job fields only: in the defaults they are ignored, so break them on an item.
    if (inDefaults && !['payload', 'jobId'].includes(broken.path)) {
      broken.apply(body.defaultRadixJobComponentConfig);
      return { body, path: `defaultRadixJobComponentConfig.${broken.path}` };
    }
    const index = at % items.length;
    broken.apply(body.jobScheduleDescriptions[index]);
    return { body, path: `jobScheduleDescriptions[${index}].${broken.path}` };
  });

describe('fuzzing the API with bad input', () => {
  let client: Redis;
  let api: ApiApp;
  withApi((bed) => {
    ({ client, api } = bed);
  });

  // The generators' valid requests must be accepted, or the properties below would prove nothing.
  it('accepts the valid requests the breakages start from', async () => {
    await fc.assert(
      fc.asyncProperty(validJob, async (job) => {
        const answer = await rawRequest(api.url, 'POST', '/api/v1/jobs', JSON.stringify(job));
        expect({ status: answer.status, body: answer.json }).toEqual({ status: 200, body: expect.objectContaining({ status: 'Waiting' }) });
      }),
      { numRuns: 40 },
    );
  });

  describe.each([
    ['POST /api/v1/jobs', '/api/v1/jobs', invalidJob],
    ['POST /api/v1/batches', '/api/v1/batches', invalidBatch],
  ])('%s', (_route, path, arbitrary) => {
    it('answers 422 naming the broken field, and changes nothing', async () => {
      await api.handedOff();
      const before = await redisSnapshot(client);
      const keys = await client.dbsize();
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(
          arbitrary.filter(({ body }) => !POISON.test(JSON.stringify(body))),
          async ({ body, path: field }) => {
            const answer = await rawRequest(api.url, 'POST', path, JSON.stringify(body));
            expect({ status: answer.status, body: answer.json }).toEqual({
              status: 422,
              body: { status: 'Failure', reason: 'Invalid', code: 422, message: expect.any(String) },
            });
            expect((answer.json as { message: string }).message).toContain(field);
            expect(await client.dbsize()).toBe(keys);
            checked++;
          },
        ),
        { numRuns: 300 },
      );
      expect(checked).toBeGreaterThanOrEqual(300);
      expect(await redisSnapshot(client)).toEqual(before);
    });
  });

  const nameRoutes: [string, (name: string) => string][] = [
    ['GET', (n) => `/api/v1/jobs/${n}`],
    ['DELETE', (n) => `/api/v1/jobs/${n}`],
    ['POST', (n) => `/api/v1/jobs/${n}/stop`],
    ['GET', (n) => `/api/v1/batches/${n}`],
    ['DELETE', (n) => `/api/v1/batches/${n}`],
    ['POST', (n) => `/api/v1/batches/${n}/stop`],
    ['GET', (n) => `/api/v1/batches/${n}/jobs/${n}`],
    ['POST', (n) => `/api/v1/batches/x/jobs/${n}/stop`],
  ];

  /** A name as a client would encode it, or raw characters that fetch would have normalised. */
  const encodedName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }).map(encodeURIComponent);
  const rawName = fc
    .array(fc.constantFrom('..', '.', '%', '%2F', '%2e', '%00', '%ff', '%c0%af', '/', '?', '#', '&', '=', ',', '!', '*', ':', ';', '\\', 'a', 'é', '~', '+'), { minLength: 1, maxLength: 40 })
    .map((parts) => parts.join(''));
  // Up to 7,000: a route holding the name twice stays under Node's 16 KiB limit of request line and headers.
  const veryLong = fc.integer({ min: 101, max: 7000 }).map((n) => 'x'.repeat(n));

  it('answers 400 or 404 to any name in a path, and changes nothing', async () => {
    await api.handedOff();
    const before = await redisSnapshot(client);
    const sent: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...nameRoutes), fc.oneof(encodedName, rawName, veryLong), async ([method, route], name) => {
        // A name that starts a query or fragment leaves `/api/v1/jobs/`: the list route, rightly 200.
        fc.pre(!/^[?#]/.test(name));
        const answer = await rawRequest(api.url, method, route(name)).catch((error: Error) => {
          throw new Error(`${method} ${route(name)}: ${error.message}; sent before: ${sent.slice(-3).join(' | ')}`);
        });
        sent.push(`${method} ${route(name)}`);
        expect([400, 404]).toContain(answer.status);
        expect(answer.json).toEqual({ status: 'Failure', reason: answer.status === 404 ? 'NotFound' : 'BadRequest', code: answer.status, message: expect.any(String) });
        if (answer.status === 404) expect((answer.json as { message: string }).message).toMatch(/is not found|^no route /);
      }),
      { numRuns: 400 },
    );
    expect(await redisSnapshot(client)).toEqual(before);
  });

  it('answers 431 with the Status body to a URL over the 16 KiB Node accepts, and keeps serving', async () => {
    const answer = await rawRequest(api.url, 'GET', `/api/v1/jobs/${'x'.repeat(20_000)}`);
    expect(answer.status).toBe(431);
    expect(answer.headers.connection).toBe('close');
    expect(answer.json).toEqual({ status: 'Failure', reason: 'RequestHeaderFieldsTooLarge', code: 431, message: expect.stringContaining('16 KiB') });
    expect((await rawRequest(api.url, 'GET', '/api/v1/jobs/x')).status).toBe(404);
  });

  it('logged no unexpected error', () => {
    expect(api.logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

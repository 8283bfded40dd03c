import fc from 'fast-check';
import { commonBatchShape, commonJobShape } from './common-shapes';
import { BatchScheduleDescriptionDto, JobScheduleDescriptionDto, MAX_BACKOFF_LIMIT, MAX_PRIORITY, MAX_TIME_LIMIT_SECONDS } from './schedule-requests.dto';
import { validateContract } from './validate-contract';

/**
 * The structural pass must agree with class-validator (the validator of record): whatever it
 * accepts, class-validator accepts too and returns an equal plain object. Whatever it does not
 * accept goes to class-validator anyway, so errors always come from there. Bodies are generated
 * valid and invalid, field by field, and go through JSON as a request body does.
 */

const anyJson = fc.jsonValue({ maxDepth: 2 });
/** Mostly a valid value, sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const text = mostly(fc.string({ maxLength: 12 }), anyJson);
const integer = (min: number, max: number) =>
  mostly(fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max)), fc.oneof(fc.constantFrom(min - 1, max + 1, 1.5, -0, '5', null, 1e21), anyJson));
const variableKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', '1X', 'A-B', 'x'.repeat(254))) },
);
const variables = mostly(fc.dictionary(variableKey, mostly(fc.string({ maxLength: 8 }), fc.oneof(fc.constant(null), fc.integer())), { maxKeys: 4 }), anyJson);
const stringArray = mostly(fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), fc.oneof(fc.array(anyJson, { maxLength: 3 }), anyJson));

const configFields = {
  image: text,
  imageTagName: text,
  timeLimitSeconds: integer(1, MAX_TIME_LIMIT_SECONDS),
  backoffLimit: integer(0, MAX_BACKOFF_LIMIT),
  priority: integer(0, MAX_PRIORITY),
  variables,
  command: stringArray,
  args: stringArray,
  resources: fc.constantFrom({ limits: { cpu: '1' } }, { limits: { cpu: 'fast' } }, 'x'),
  runtime: fc.constantFrom({ architecture: 'arm64' }, { architecture: 'x86' }),
  unknownField: anyJson,
};
/** Each field present or not; the rare ones (nested, unknown, null) in about one body of eight. */
const withRare = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T, rareKeys: string[]) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(Object.entries(fields).filter(([k]) => !rareKeys.includes(k))), { requiredKeys: [] }),
      fc.oneof({ weight: 7, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.record({ ...Object.fromEntries(rareKeys.map((k) => [k, fields[k]])), backoffLimit: fc.constant(null) }, { requiredKeys: [] }) }),
    )
    .map(([common, odd]) => ({ ...common, ...odd }));
const RARE = ['resources', 'runtime', 'unknownField'];
const config = withRare(configFields, RARE);
const job = withRare({ ...configFields, payload: text, jobId: text }, RARE);
/** Mostly plain objects, sometimes something else in an item's place. */
const item = mostly(job, anyJson);
const batch = fc.record(
  {
    batchId: text,
    defaultRadixJobComponentConfig: mostly(config, anyJson),
    jobScheduleDescriptions: mostly(fc.array(item, { maxLength: 4 }), anyJson),
    extra: fc.constantFrom(1, null),
  },
  { requiredKeys: ['jobScheduleDescriptions'] },
);

/** As Fastify hands it over: parsed JSON (`__proto__` becomes an own field, as JSON.parse makes it). */
const asParsed = (value: unknown) => JSON.parse(JSON.stringify(value)) as object;

function agrees(contract: new () => object, pass: (body: object) => object | undefined, body: object): boolean {
  const common = pass(body);
  if (common === undefined) return false;
  const checked = validateContract(contract, asParsed(body));
  expect(checked.problems).toEqual([]);
  expect(common).toStrictEqual(checked.value);
  return true;
}

describe('common request shapes agree with class-validator', () => {
  it('single jobs: whatever the pass accepts, class-validator accepts as the same object', () => {
    let accepted = 0;
    fc.assert(
      fc.property(job, (generated) => {
        if (agrees(JobScheduleDescriptionDto, commonJobShape, asParsed(generated))) accepted++;
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: a good share of the generated bodies took the fast path.
    expect(accepted).toBeGreaterThan(30);
  });

  it('batches: whatever the pass accepts, class-validator accepts as the same object', () => {
    let accepted = 0;
    fc.assert(
      fc.property(batch, (generated) => {
        if (agrees(BatchScheduleDescriptionDto, commonBatchShape, asParsed(generated))) accepted++;
      }),
      { numRuns: 3000 },
    );
    // Not vacuous. Few batches are valid throughout (15-32 of 3,000 over seeds 1-12, a Poisson count
    // of mean ~23): more than 3 fails about once in a million runs, more than 10 failed a CI run (9).
    expect(accepted).toBeGreaterThan(3);
  });

  it.each([
    { name: 'a jobId and a payload', body: { jobId: 'job1', payload: '{"x":1}' } },
    { name: 'no field at all', body: {} },
    { name: 'flat options', body: { imageTagName: '1.0', timeLimitSeconds: 60, backoffLimit: 0, variables: { A: '1' }, command: ['run'], args: [] } },
  ])('takes the fast path for a common single job: $name', ({ body }) => {
    expect(agrees(JobScheduleDescriptionDto, commonJobShape, body)).toBe(true);
  });

  it('takes the fast path for a batch of common jobs with flat defaults', () => {
    const body = { batchId: 'b1', defaultRadixJobComponentConfig: { backoffLimit: 2 }, jobScheduleDescriptions: [{ jobId: 'a', payload: 'x' }, {}] };
    expect(agrees(BatchScheduleDescriptionDto, commonBatchShape, body)).toBe(true);
  });

  it.each([
    { name: 'a null field (class-validator drops it)', body: { jobId: null } },
    { name: 'an unknown field (class-validator drops it)', body: { jobId: 'a', colour: 'red' } },
    { name: 'a null variable (class-transformer makes it "")', body: { variables: { A: null } } },
    { name: 'a broken rule', body: { timeLimitSeconds: 0 } },
    { name: 'a nested option', body: { resources: { limits: { cpu: '1' } } } },
  ])('leaves a single job to class-validator: $name', ({ body }) => {
    expect(commonJobShape(asParsed(body))).toBeUndefined();
  });

  it.each([
    { name: 'no items', body: { jobScheduleDescriptions: [] } },
    { name: 'no item list', body: { batchId: 'b' } },
    { name: 'a payload in the defaults (not a default option)', body: { defaultRadixJobComponentConfig: { payload: 'x' }, jobScheduleDescriptions: [{}] } },
    { name: 'one item of many not common', body: { jobScheduleDescriptions: [{}, {}, { backoffLimit: -1 }] } },
  ])('leaves a batch to class-validator: $name', ({ body }) => {
    expect(commonBatchShape(asParsed(body))).toBeUndefined();
  });
});

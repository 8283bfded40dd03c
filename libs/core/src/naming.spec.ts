import { isValidName, makeBatchName, makeJobName, MAX_NAME_LENGTH, type RandomSource, randomSuffix } from './naming';

const at = new Date(Date.UTC(2023, 1, 20, 10, 14, 17));
/** A random source that returns what the test chose, cut to the requested length. */
const fixed = (...values: string[]): RandomSource => {
  const queue = [...values];
  return (length) => (queue.shift() ?? 'zzzzzzzzzzzz').slice(0, length);
};

describe('makeBatchName and makeJobName', () => {
  it('build batch-<component>-<yyyyMMddHHmmss in UTC>-<8 random> and <batchName>-<8 random>', () => {
    const batchName = makeBatchName('compute', at, fixed('idwsxncs'));
    expect(batchName).toBe('batch-compute-20230220101417-idwsxncs');
    expect(makeJobName(batchName, fixed('rkwaibwe'))).toBe('batch-compute-20230220101417-idwsxncs-rkwaibwe');
  });

  it('pads every part of the timestamp', () => {
    expect(makeBatchName('c', new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), fixed('aaaaaaaa'))).toBe('batch-c-20240102030405-aaaaaaaa');
  });

  // "batch-" + "-" + 14 digits + "-" + 8 + "-" + 8 leaves 24 characters for the component.
  it.each([
    { component: 'compute', part: 'compute' },
    { component: 'a'.repeat(24), part: 'a'.repeat(24) },
    { component: 'a'.repeat(25), part: 'a'.repeat(24) },
    { component: 'a-job-component-with-a-rather-long-name', part: 'a-job-component-with-a-r' },
    { component: `${'a'.repeat(23)}-tail`, part: 'a'.repeat(23), why: 'no hyphen is left at the cut' },
    { component: `${'a'.repeat(20)}----tail`, part: 'a'.repeat(20), why: 'every hyphen at the cut goes' },
  ])('shortens the component $component to $part so that the job name fits in 63 characters', ({ component, part }) => {
    const jobName = makeJobName(makeBatchName(component, at, fixed('abcdefgh')), fixed('ijklmnop'));
    expect(jobName).toBe(`batch-${part}-20230220101417-abcdefgh-ijklmnop`);
    expect(jobName.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(isValidName(jobName)).toBe(true);
  });

  it('names are fresh on every call with the real random source', () => {
    const names = new Set(Array.from({ length: 200 }, () => makeJobName(makeBatchName('compute', at))));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^batch-compute-20230220101417-[a-z0-9]{8}-[a-z0-9]{8}$/);
  });
});

describe('randomSuffix', () => {
  it.each([1, 8, 32])('returns %i characters of [a-z0-9]', (length) => {
    expect(randomSuffix(length)).toMatch(new RegExp(`^[a-z0-9]{${length}}$`));
  });
});

describe('isValidName', () => {
  it.each([
    ['batch-compute-20230220101417-idwsxncs-rkwaibwe', true],
    ['a', true],
    ['0', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
    ['-a', false],
    ['a-', false],
    ['A', false],
    ['a_b', false],
    ['a.b', false],
  ])('%s -> %s', (name, valid) => {
    expect(isValidName(name)).toBe(valid);
  });
});

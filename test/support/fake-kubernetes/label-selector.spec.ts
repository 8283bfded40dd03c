import { matches, parseSelector, SelectorError } from './label-selector';

const labels = { app: 'compute', tier: 'jobs', 'radix-job-scheduler/component': 'compute' };

describe('label selectors of the fake API server', () => {
  it.each([
    ['', true],
    ['app=compute', true],
    ['app==compute', true],
    ['app=other', false],
    ['app!=other', true],
    ['missing!=x', true],
    ['app=compute,tier', true],
    ['app=compute,missing', false],
    ['!missing', true],
    ['!app', false],
    ['tier in (jobs, web)', true],
    ['tier in (web)', false],
    ['tier notin (web)', true],
    ['missing notin (web)', true],
    ['radix-job-scheduler/component=compute,app in (compute,x),tier', true],
  ])('%j matches: %s', (selector, expected) => {
    expect(matches(labels, parseSelector(selector))).toBe(expected);
  });

  it('rejects what it cannot parse', () => {
    expect(() => parseSelector('a b c')).toThrow(SelectorError);
  });
});

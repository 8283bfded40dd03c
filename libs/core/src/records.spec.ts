import { rfc3339 } from './records';

describe('rfc3339', () => {
  it.each([
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z'],
    ['2026-01-01T00:00:00.999Z', '2026-01-01T00:00:00Z'],
    ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01Z'],
    ['1969-12-31T23:59:59.500Z', '1969-12-31T23:59:59Z'],
    ['2026-01-01T00:00:00.999Z', '2026-01-01T00:00:00Z'],
    ['2026-11-30T04:10:59.001Z', '2026-11-30T04:10:59Z'],
  ])('formats %s as %s, whatever it formatted before', (iso, expected) => {
    expect(rfc3339(new Date(iso))).toBe(expected);
  });

  it('refuses an invalid date, also right after formatting a valid one', () => {
    rfc3339(new Date('2026-01-01T00:00:00Z'));
    expect(() => rfc3339(new Date(Number.NaN))).toThrow(RangeError);
  });
});

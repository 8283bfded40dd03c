import { backoffDelay, backoffDelayUntil } from './backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 250, maxMs: 4000 };

  it.each([
    { retry: 1, delay: 250 },
    { retry: 2, delay: 500 },
    { retry: 3, delay: 1000 },
    { retry: 5, delay: 4000 },
    { retry: 6, delay: 4000, why: 'capped' },
    { retry: 2000, delay: 4000, why: 'no overflow to Infinity' },
    { retry: 0, delay: 250, why: 'below the first retry counts as the first' },
  ])('waits $delay ms before retry $retry', ({ retry, delay }) => {
    expect(backoffDelay(retry, policy)).toBe(delay);
  });

  it('waits nothing with a zero initial delay, however many retries', () => {
    expect(backoffDelay(5000, { initialMs: 0, maxMs: 1000 })).toBe(0);
  });

  it.each([
    { random: 0, delay: 500 },
    { random: 0.5, delay: 750 },
    { random: 0.999, delay: 999.5 },
  ])('with jitter $random, spreads retry 3 over the upper half of its 1000 ms: $delay', ({ random, delay }) => {
    expect(backoffDelay(3, policy, () => random)).toBeCloseTo(delay);
  });
});

describe('backoffDelayUntil', () => {
  const policy = { initialMs: 1000, maxMs: 60_000 };

  it.each([
    { retry: 1, now: 0, deadline: 10_000, delay: 1000, why: 'far from the deadline: the backoff' },
    { retry: 4, now: 5000, deadline: 10_000, delay: 5000, why: 'the 8 s backoff would pass the deadline: the deadline' },
    { retry: 20, now: 0, deadline: 3_600_000, delay: 60_000, why: 'capped' },
    { retry: 2, now: 10_000, deadline: 10_000, delay: 0, why: 'at the deadline' },
    { retry: 2, now: 12_000, deadline: 10_000, delay: 0, why: 'past the deadline: never negative' },
  ])('waits $delay ms before retry $retry at $now ms with the deadline at $deadline ms ($why)', ({ retry, now, deadline, delay }) => {
    expect(backoffDelayUntil(retry, policy, deadline, now)).toBe(delay);
  });
});

import type { MinimalJob } from 'bullmq';
import { controlBackoffStrategy, durationInWords, launchBackoffStrategy, launchRetriesSpent } from './launch-retry';

describe('launchBackoffStrategy', () => {
  const HOUR = 3_600_000;
  const work = (failingSince?: number) => ({ data: { jobName: 'j', failingSince } }) as unknown as MinimalJob;

  it.each([
    { attemptsMade: 1, failingSince: 0, now: 0, delay: 1000, why: 'first retry: 1 s' },
    { attemptsMade: 2, failingSince: 0, now: 1000, delay: 2000, why: 'doubling' },
    { attemptsMade: 7, failingSince: 0, now: 200_000, delay: 60_000, why: 'capped at 1 min, where BullMQ\'s exponential would wait 64 s' },
    { attemptsMade: 20, failingSince: 0, now: 900_000, delay: 60_000, why: 'where BullMQ\'s exponential would wait 6 days' },
    { attemptsMade: 12, failingSince: 0, now: HOUR - 10_000, delay: 10_000, why: 'the last retry falls on the give-up time' },
    { attemptsMade: 12, failingSince: 0, now: HOUR + 5, delay: 0, why: 'past it: at once, and the attempt gives up' },
    { attemptsMade: 3, failingSince: undefined, now: 0, delay: 4000, why: 'no first failure recorded: the backoff alone' },
  ])('waits $delay ms after attempt $attemptsMade ($why)', ({ attemptsMade, failingSince, now, delay }) => {
    expect(launchBackoffStrategy(HOUR, () => now)(attemptsMade, 'launch-retry', new Error('x'), work(failingSince))).toBe(delay);
  });

  it('makes 66 attempts in the default hour, the last one on the hour, where BullMQ\'s exponential made 20 over 6 days', () => {
    let now = 0;
    const strategy = launchBackoffStrategy(HOUR, () => now);
    // Attempt 1 failed at 0; each later one fails at once.
    let attempts = 1;
    while (!launchRetriesSpent(0, HOUR, now)) now += strategy(attempts++, 'launch-retry', new Error('x'), work(0)) as number;
    expect(now).toBe(HOUR);
    expect(attempts).toBe(66);
  });
});

describe('launchRetriesSpent', () => {
  it.each([
    { failingSince: 1000, now: 1000, giveUpAfterMs: 0, spent: true },
    { failingSince: 1000, now: 3999, giveUpAfterMs: 3000, spent: false },
    { failingSince: 1000, now: 4000, giveUpAfterMs: 3000, spent: true },
  ])('failing since $failingSince, at $now, give-up after $giveUpAfterMs ms: $spent', ({ failingSince, now, giveUpAfterMs, spent }) => {
    expect(launchRetriesSpent(failingSince, giveUpAfterMs, now)).toBe(spent);
  });
});

describe('durationInWords', () => {
  it.each([
    [3600, '1h'],
    [5400, '1h30m'],
    [90, '1m30s'],
    [3, '3s'],
    [0, '0s'],
    [7 * 24 * 3600, '168h'],
  ])('%i s reads %s', (seconds, words) => {
    expect(durationInWords(seconds)).toBe(words);
  });
});

describe('controlBackoffStrategy', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [6, 32_000],
    [7, 60_000],
    [20, 60_000],
    [10_000, 60_000],
  ])('waits %d -> %d ms: doubling from 1 s, never more than a minute however long the work fails', (attemptsMade, delay) => {
    expect(controlBackoffStrategy(attemptsMade, 'control-retry', new Error('x'), { data: { action: 'stop', jobName: 'j' } } as unknown as MinimalJob)).toBe(delay);
  });
});

import { RateLimiterClosedError, TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Starts `count` acquisitions and records the fake time at which each is granted. */
  function acquireAll(bucket: TokenBucket, count: number): number[] {
    const granted: number[] = [];
    for (let i = 0; i < count; i++) bucket.acquire().then(() => granted.push(Date.now()), () => undefined);
    return granted;
  }

  it('grants a burst at once, then qps per second, first come first served', async () => {
    const start = Date.now();
    const bucket = new TokenBucket(5, 3, () => Date.now());
    const granted = acquireAll(bucket, 8);

    await jest.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1000);
    expect(granted.map((t) => t - start)).toEqual([0, 0, 0, 200, 400, 600, 800, 1000]);
    bucket.close();
  });

  it('never grants more than burst + qps * T in any window of T', async () => {
    const bucket = new TokenBucket(10, 4, () => Date.now());
    const granted = acquireAll(bucket, 40);
    await jest.advanceTimersByTimeAsync(5000);
    expect(granted).toHaveLength(40);
    for (const windowMs of [100, 250, 1000, 2000]) {
      for (const from of granted) {
        const inWindow = granted.filter((t) => t >= from && t <= from + windowMs).length;
        expect(inWindow).toBeLessThanOrEqual(4 + (10 * windowMs) / 1000);
      }
    }
    bucket.close();
  });

  it('refills while idle, up to burst', async () => {
    const bucket = new TokenBucket(2, 2, () => Date.now());
    acquireAll(bucket, 2);
    await jest.advanceTimersByTimeAsync(10_000);
    const granted = acquireAll(bucket, 3);
    await jest.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(2);
    bucket.close();
  });

  it('rejects waiters when closed', async () => {
    const bucket = new TokenBucket(1, 1, () => Date.now());
    await bucket.acquire();
    const waiting = bucket.acquire();
    bucket.close();
    await expect(waiting).rejects.toThrow(RateLimiterClosedError);
    await expect(bucket.acquire()).rejects.toThrow(RateLimiterClosedError);
  });
});

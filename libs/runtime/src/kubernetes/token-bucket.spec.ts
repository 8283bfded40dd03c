import { apiServerLimiter, ARRIVAL_JITTER_MS, RateLimiterClosedError, serverSafeBurst, TokenBucket } from './token-bucket';

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

  it('holds back the tokens of the arrival jitter, so that the API server sees at most burst + qps * T', async () => {
    expect([serverSafeBurst(20, 30), serverSafeBurst(200, 50), serverSafeBurst(5, 1), serverSafeBurst(1000, 5)]).toEqual([29, 48, 1, 1]);
    const [qps, burst] = [200, 50];
    const bucket = apiServerLimiter({ qps, burst });
    const granted = acquireAll(bucket, 600);
    await jest.advanceTimersByTimeAsync(5000);
    expect(granted).toHaveLength(600);
    // Worst case at the server: every grant in a stretch arrives as late as the jitter allows, and
    // the grants after it as early, so that a window at the server holds ARRIVAL_JITTER_MS more.
    for (const windowMs of [100, 250, 1000, 2000]) {
      for (const from of granted) {
        const inWindow = granted.filter((t) => t >= from && t <= from + windowMs + ARRIVAL_JITTER_MS).length;
        expect(inWindow).toBeLessThanOrEqual(burst + (qps * windowMs) / 1000);
      }
    }
    // Without the holdback the same load exceeds the bound at the server.
    const plain = new TokenBucket(qps, burst, () => Date.now());
    const plainGranted = acquireAll(plain, 600);
    await jest.advanceTimersByTimeAsync(5000);
    const worst = Math.max(...plainGranted.map((from) => plainGranted.filter((t) => t >= from && t <= from + 100 + ARRIVAL_JITTER_MS).length));
    expect(worst).toBeGreaterThan(burst + qps * 0.1);
    bucket.close();
    plain.close();
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

  it('serves launches before housekeeping, each first come first served', async () => {
    const start = Date.now();
    const bucket = new TokenBucket(10, 1, () => Date.now());
    const order: string[] = [];
    const take = (label: string, priority: 'launch' | 'housekeeping') =>
      bucket.acquire(priority).then(() => order.push(`${label}@${Date.now() - start}`));
    take('h1', 'housekeeping'); // the burst token
    take('h2', 'housekeeping');
    take('h3', 'housekeeping');
    take('l1', 'launch');
    take('l2', 'launch');
    await jest.advanceTimersByTimeAsync(1000);
    expect(order).toEqual(['h1@0', 'l1@100', 'l2@200', 'h2@300', 'h3@400']);
    bucket.close();
  });

  it('lets housekeeping take a free token only when no launch waits', async () => {
    const bucket = new TokenBucket(10, 2, () => Date.now());
    await bucket.acquire('launch');
    await bucket.acquire('housekeeping');
    const order: string[] = [];
    bucket.acquire('launch').then(() => order.push('launch'));
    bucket.acquire('housekeeping').then(() => order.push('housekeeping'));
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual([]);
    await jest.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['launch']);
    await jest.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['launch', 'housekeeping']);
    bucket.close();
  });

  it('rejects waiters of both priorities when closed', async () => {
    const bucket = new TokenBucket(1, 1, () => Date.now());
    await bucket.acquire();
    const waiting = [bucket.acquire('launch'), bucket.acquire('housekeeping')];
    bucket.close();
    for (const w of waiting) await expect(w).rejects.toThrow(RateLimiterClosedError);
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

/**
 * A client-side token bucket in front of every Kubernetes API call (client-go's flowcontrol).
 * Up to `burst` calls go at once; after that, `qps` per second. In any window of T seconds at most
 * burst + qps*T calls start. Waiters are served first come, first served.
 *
 * Default 20 QPS, burst 30: kube-controller-manager's --kube-api-qps/--kube-api-burst. client-go's
 * 5/10 suits a CLI; this scheduler is a controller that launches batches of hundreds of jobs (two
 * calls each, Job and Secret), where 5 QPS would add ~40 s per 100 jobs. 20/30 is what API Priority
 * and Fairness is tuned to expect from one controller, so it stays a good citizen.
 */
export const DEFAULT_QPS = 20;
export const DEFAULT_BURST = 30;

export class RateLimiterClosedError extends Error {
  override name = 'RateLimiterClosedError';
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly qps: number = DEFAULT_QPS,
    private readonly burst: number = DEFAULT_BURST,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`qps must be > 0 and burst >= 1, got ${qps}/${burst}`);
    this.tokens = burst;
    this.last = this.now();
  }

  /** Resolves when the caller may make one API call. */
  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new RateLimiterClosedError('the rate limiter is closed'));
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Rejects every waiter; later acquire() calls reject at once. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new RateLimiterClosedError('the rate limiter is closed'));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const waitMs = Math.max(0, ((1 - this.tokens) * 1000) / this.qps);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiters.shift()!.resolve();
      }
      this.schedule();
    }, Math.ceil(waitMs));
    // Waiting for a token must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }
}

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

/**
 * How far apart in time two requests may reach the API server after being let go in order (two event
 * loops, the network): 10 ms. Requests let go evenly can arrive bunched by that much, so a window
 * at the server may hold the calls of a window this much longer at the client.
 */
export const ARRIVAL_JITTER_MS = 10;

/**
 * The burst the bucket grants so that the API server, not only this client, never sees more than
 * burst + qps*T calls in any window of T: the tokens of ARRIVAL_JITTER_MS are held back (one at the
 * default 20 QPS, two at 200). Measured by benchmark 6 at the fake API server.
 */
export function serverSafeBurst(qps: number, burst: number): number {
  return Math.max(1, burst - Math.ceil((qps * ARRIVAL_JITTER_MS) / 1000));
}

/** The bucket of an adapter configured with KUBE_API_QPS / KUBE_API_BURST (defaults when unset). */
export function apiServerLimiter({ qps = DEFAULT_QPS, burst = DEFAULT_BURST }: { qps?: number; burst?: number }): TokenBucket {
  return new TokenBucket(qps, serverSafeBurst(qps, burst));
}

/**
 * Who waits first for a token: `launch` (launches, stops, removals, the watches that report their
 * status) before `housekeeping` (the periodic check for vanished Jobs), so that a large backlog of
 * checks never delays a launch; housekeeping gets the tokens launches leave (client-go's
 * flowcontrol has no priorities; API Priority and Fairness does this on the server, per client).
 */
export type CallPriority = 'launch' | 'housekeeping';

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
  private readonly housekeeping: Waiter[] = [];
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

  /** Resolves when the caller may make one API call; FIFO within a priority, launches first. */
  acquire(priority: CallPriority = 'launch'): Promise<void> {
    if (this.closed) return Promise.reject(new RateLimiterClosedError('the rate limiter is closed'));
    this.refill();
    const queue = priority === 'launch' ? this.waiters : this.housekeeping;
    const ahead = priority === 'launch' ? this.waiters.length : this.waiters.length + this.housekeeping.length;
    if (ahead === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      queue.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Rejects every waiter; later acquire() calls reject at once. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of [...this.waiters.splice(0), ...this.housekeeping.splice(0)]) waiter.reject(new RateLimiterClosedError('the rate limiter is closed'));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length + this.housekeeping.length === 0) return;
    const waitMs = Math.max(0, ((1 - this.tokens) * 1000) / this.qps);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.tokens >= 1 && this.waiters.length + this.housekeeping.length > 0) {
        this.tokens -= 1;
        (this.waiters.shift() ?? this.housekeeping.shift())!.resolve();
      }
      this.schedule();
    }, Math.ceil(waitMs));
    // Waiting for a token must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }
}

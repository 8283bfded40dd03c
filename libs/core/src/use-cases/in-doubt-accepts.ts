import type { StatusStore, WithdrawOutcome } from '../ports';

/**
 * Past this many batches the oldest in-doubt accept is given up (left to run). In-doubt accepts
 * come only from requests in flight when a connection broke (during an outage requests fail before
 * anything leaves), so reaching it takes a connection that breaks again and again under load.
 */
export const MAX_IN_DOUBT_BATCHES = 10_000;

export interface WithdrawalResult {
  batchName: string;
  outcome: WithdrawOutcome | 'givenUp';
}

/**
 * Accepts answered with an error although their records may have been written: Redis failed after
 * the write had left and before it answered (a crash, a cut connection). The client heard "not
 * accepted" (503) and may well send the request again, so the batch is withdrawn once Redis answers
 * again, before recovery would hand its jobs to the queue (recovery leaves a job in the dispatch
 * outbox alone for a grace period: Recovery.redispatch). Then a 503 means what it says. If this
 * process dies first, recovery runs the jobs: at least once, never lost.
 */
export class InDoubtAccepts {
  /** Batch name -> the Idempotency-Key its request carried, in the order they came. */
  private readonly pending = new Map<string, string | undefined>();
  private givenUp: WithdrawalResult[] = [];

  constructor(private readonly store: StatusStore) {}

  get size(): number {
    return this.pending.size;
  }

  /** Remembers a batch whose write's outcome is unknown. */
  add(batchName: string, idempotencyKey?: string): void {
    this.pending.set(batchName, idempotencyKey);
    for (const oldest of this.pending.keys()) {
      if (this.pending.size <= MAX_IN_DOUBT_BATCHES) break;
      this.pending.delete(oldest);
      this.givenUp.push({ batchName: oldest, outcome: 'givenUp' });
    }
  }

  /**
   * Withdraws the pending batches in the order they came, up to the first that fails (Redis is
   * still unreachable: the next call tries again from there). Returns what was settled, and what
   * was given up to make room since the last call.
   */
  async withdraw(): Promise<WithdrawalResult[]> {
    const settled = this.givenUp;
    this.givenUp = [];
    for (const [batchName, idempotencyKey] of [...this.pending]) {
      try {
        settled.push({ batchName, outcome: await this.store.withdrawBatch(batchName, idempotencyKey) });
      } catch {
        break;
      }
      this.pending.delete(batchName);
    }
    return settled;
  }
}

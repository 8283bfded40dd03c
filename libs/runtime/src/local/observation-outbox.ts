import { type BackoffPolicy, backoffDelay, type Observation, type ObservationSink } from '@rjs/core';
import type { LocalRuntimeLogger } from './runtime-logger';

interface Entry {
  pending?: Observation;
  delivering: boolean;
  dropped?: boolean;
}

/**
 * Delivers observations to the sink, one job at a time and in order. A failed delivery (Redis down)
 * is retried with capped exponential backoff, never dropped. The queue is bounded: each job keeps
 * only its latest undelivered observation, which is enough because every observation carries all
 * the job's attempts.
 */
export class ObservationOutbox {
  private sink?: ObservationSink;
  private closed = false;
  private readonly entries = new Map<string, Entry>();
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    private readonly backoff: BackoffPolicy,
    private readonly logger: LocalRuntimeLogger,
    /** Told of each observation the sink took. */
    private readonly onDelivered: (jobName: string, observation: Observation) => void = () => undefined,
  ) {}

  setSink(sink: ObservationSink): void {
    this.sink = sink;
    for (const name of this.entries.keys()) this.drain(name);
  }

  post(jobName: string, observation: Observation): void {
    const entry = this.entries.get(jobName) ?? { delivering: false };
    entry.pending = observation;
    this.entries.set(jobName, entry);
    this.drain(jobName);
  }

  /** Forgets what a removed job had not delivered yet. */
  drop(jobName: string): void {
    const entry = this.entries.get(jobName);
    if (!entry) return;
    entry.pending = undefined;
    entry.dropped = true;
    this.entries.delete(jobName);
    this.notifyIfIdle();
  }

  /** Stops retrying; what is left undelivered stays in each job's status.json for the next start. */
  close(): void {
    this.closed = true;
  }

  /** Resolves true once everything posted so far is delivered, false when the timeout comes first. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return true;
    let timer: NodeJS.Timeout | undefined;
    let onIdle: (() => void) | undefined;
    const idle = new Promise<boolean>((resolve) => {
      onIdle = () => resolve(true);
      this.idleWaiters.add(onIdle);
    });
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
      if (onIdle) this.idleWaiters.delete(onIdle);
    }
  }

  private isIdle(): boolean {
    return this.entries.size === 0;
  }

  private drain(jobName: string): void {
    const entry = this.entries.get(jobName);
    if (!entry || entry.delivering || !this.sink || this.closed) return;
    entry.delivering = true;
    void this.deliverAll(jobName, entry);
  }

  private async deliverAll(jobName: string, entry: Entry): Promise<void> {
    let failures = 0;
    while (entry.pending && this.sink && !entry.dropped && !this.closed) {
      const observation = entry.pending;
      entry.pending = undefined;
      try {
        await this.sink(jobName, observation);
        failures = 0;
        this.onDelivered(jobName, observation);
      } catch (error) {
        // A newer observation supersedes this one; otherwise try this one again.
        if (!entry.dropped) entry.pending ??= observation;
        failures++;
        const delay = backoffDelay(failures, this.backoff);
        this.logger.warn({ err: error, job: jobName, kind: observation.kind, retryInMs: delay }, 'could not record an observation; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
    entry.delivering = false;
    if (entry.dropped || this.closed) return;
    if (entry.pending) return this.drain(jobName);
    this.entries.delete(jobName);
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.isIdle()) for (const waiter of [...this.idleWaiters]) waiter();
  }
}

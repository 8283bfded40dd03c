import { type BackoffPolicy, backoffDelay, type Observation, type ObservationSink } from '@rjs/core';
import type { KubernetesRuntimeLogger } from './runtime-logger';

export interface ObservationReporterOptions {
  /** The current observation of a job from the caches; undefined when there is nothing to say. */
  observe(jobName: string): Observation | undefined;
  sink: ObservationSink;
  /** Sink calls in flight at most (different jobs); one job never has two at once. */
  concurrency: number;
  /** Delay before a failed sink call is tried again. */
  retry: BackoffPolicy;
  logger: KubernetesRuntimeLogger;
}

/**
 * A small work queue between watch events and the sink, like client-go's workqueue: events only
 * mark a job dirty; a bounded number of workers then read the job's *current* state and report
 * it. Bursts of events for one job coalesce into one report, reports for one job stay in order,
 * the number of sink calls in flight is bounded, an observation equal to the last one reported
 * (apart from its time) is not sent again, and a failed sink call is retried with backoff.
 */
export class ObservationReporter {
  /** Dirty jobs; a value is an observation to send as is (a Job that is gone cannot be re-read). */
  private readonly dirty = new Map<string, Observation | undefined>();
  private readonly inFlight = new Set<string>();
  private readonly lastSent = new Map<string, string>();
  private readonly retryTimers = new Map<string, { timer: NodeJS.Timeout; failures: number }>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = false;
  private closed = false;

  constructor(private readonly options: ObservationReporterOptions) {}

  /** Report the job's current state soon. */
  enqueue(jobName: string): void {
    if (this.closed) return;
    if (!this.dirty.has(jobName)) this.dirty.set(jobName, undefined);
    this.pump();
  }

  /** Report exactly this observation (the job's object is gone, or the runtime ended it). */
  enqueueObservation(jobName: string, observation: Observation): void {
    if (this.closed) return;
    this.dirty.set(jobName, observation);
    this.pump();
  }

  /** Starts (or resumes) the workers; until then events only accumulate. */
  resume(): void {
    this.running = true;
    this.pump();
  }

  /** Resolves when no job is dirty and no report is in flight (failed reports wait for their retry). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.dirty.clear();
    for (const { timer } of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.closed || (this.dirty.size === 0 && this.inFlight.size === 0);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private pump(): void {
    if (!this.running || this.closed) return;
    for (const [jobName, fixed] of this.dirty) {
      if (this.inFlight.size >= this.options.concurrency) break;
      if (this.inFlight.has(jobName)) continue;
      this.dirty.delete(jobName);
      this.inFlight.add(jobName);
      void this.process(jobName, fixed).finally(() => {
        this.inFlight.delete(jobName);
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async process(jobName: string, fixed: Observation | undefined): Promise<void> {
    const observation = fixed ?? this.options.observe(jobName);
    if (!observation) {
      // The job is not (or no longer) in the caches: forget what we told the sink about it.
      this.lastSent.delete(jobName);
      this.clearRetry(jobName);
      return;
    }
    const key = JSON.stringify({ ...observation, at: undefined });
    if (this.lastSent.get(jobName) === key) return;
    try {
      await this.options.sink(jobName, observation);
      // A fixed observation is about a Job that is gone or going: nothing to compare later ones with.
      if (fixed) this.lastSent.delete(jobName);
      else this.lastSent.set(jobName, key);
      this.clearRetry(jobName);
    } catch (error) {
      this.scheduleRetry(jobName, fixed, error);
    }
  }

  private clearRetry(jobName: string): void {
    const retry = this.retryTimers.get(jobName);
    if (retry) clearTimeout(retry.timer);
    this.retryTimers.delete(jobName);
  }

  private scheduleRetry(jobName: string, fixed: Observation | undefined, error: unknown): void {
    if (this.closed) return;
    const failures = (this.retryTimers.get(jobName)?.failures ?? 0) + 1;
    this.clearRetry(jobName);
    const delay = backoffDelay(failures, this.options.retry, Math.random);
    this.options.logger.warn({ jobName, failures, delayMs: Math.round(delay) }, `reporting a job failed; retrying: ${(error as Error)?.message ?? error}`);
    const timer = setTimeout(() => {
      // A newer fixed observation, if one came meanwhile, wins over the one that failed.
      if (fixed && !this.dirty.has(jobName)) this.enqueueObservation(jobName, fixed);
      else this.enqueue(jobName);
    }, delay);
    this.retryTimers.set(jobName, { timer, failures });
  }
}

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
 * What is to be reported about a dirty job: an observation to send as is (a Job that is gone
 * cannot be re-read), then, when `current`, the job's current state. A restart's new Job follows
 * the deletion of the earlier run's under the same name: both are reported, in that order.
 */
interface DirtyJob {
  fixed?: Observation;
  current: boolean;
}

/**
 * A small work queue between watch events and the sink, like client-go's workqueue: events only
 * mark a job dirty; a bounded number of workers then read the job's *current* state and report
 * it. Bursts of events for one job coalesce into one report, reports for one job stay in order,
 * the number of sink calls in flight is bounded, an observation equal to the last one reported
 * (apart from its time) is not sent again, and a failed sink call is retried with backoff.
 */
export class ObservationReporter {
  private readonly dirty = new Map<string, DirtyJob>();
  private readonly inFlight = new Set<string>();
  private readonly lastSent = new Map<string, string>();
  private readonly retryTimers = new Map<string, { timer: NodeJS.Timeout; failures: number }>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = false;
  private closed = false;

  constructor(private readonly options: ObservationReporterOptions) {}

  /** Report the job's current state soon. */
  enqueue(jobName: string): void {
    this.markDirty(jobName, { current: true });
  }

  /** Report exactly this observation (the job's object is gone, or the runtime ended it); it replaces one not yet sent. */
  enqueueObservation(jobName: string, observation: Observation): void {
    this.markDirty(jobName, { fixed: observation, current: false });
  }

  private markDirty(jobName: string, work: DirtyJob, keepNewerFixed = false): void {
    if (this.closed) return;
    const dirty = this.dirty.get(jobName);
    if (!dirty) this.dirty.set(jobName, { ...work });
    else {
      if (work.fixed && !(keepNewerFixed && dirty.fixed)) dirty.fixed = work.fixed;
      dirty.current ||= work.current;
    }
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
    for (const [jobName, work] of this.dirty) {
      if (this.inFlight.size >= this.options.concurrency) break;
      if (this.inFlight.has(jobName)) continue;
      this.dirty.delete(jobName);
      this.inFlight.add(jobName);
      void this.process(jobName, work).finally(() => {
        this.inFlight.delete(jobName);
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private async process(jobName: string, work: DirtyJob): Promise<void> {
    let left = work;
    try {
      if (work.fixed) {
        await this.options.sink(jobName, work.fixed);
        // A fixed observation is about a Job that is gone or going: nothing to compare later ones with.
        this.lastSent.delete(jobName);
        left = { current: work.current };
      }
      if (work.current) await this.reportCurrent(jobName);
      this.clearRetry(jobName);
    } catch (error) {
      // What was sent is not sent again; the current state is read anew when retried.
      this.scheduleRetry(jobName, left, error);
    }
  }

  private async reportCurrent(jobName: string): Promise<void> {
    const observation = this.options.observe(jobName);
    if (!observation) {
      // The job is not (or no longer) in the caches: forget what we told the sink about it.
      this.lastSent.delete(jobName);
      return;
    }
    const key = JSON.stringify({ ...observation, at: undefined });
    if (this.lastSent.get(jobName) === key) return;
    await this.options.sink(jobName, observation);
    this.lastSent.set(jobName, key);
  }

  private clearRetry(jobName: string): void {
    const retry = this.retryTimers.get(jobName);
    if (retry) clearTimeout(retry.timer);
    this.retryTimers.delete(jobName);
  }

  private scheduleRetry(jobName: string, work: DirtyJob, error: unknown): void {
    if (this.closed) return;
    const failures = (this.retryTimers.get(jobName)?.failures ?? 0) + 1;
    this.clearRetry(jobName);
    const delay = backoffDelay(failures, this.options.retry, Math.random);
    this.options.logger.warn({ jobName, failures, delayMs: Math.round(delay) }, `reporting a job failed; retrying: ${(error as Error)?.message ?? error}`);
    // A newer fixed observation, if one came meanwhile, wins over the one that failed.
    const timer = setTimeout(() => this.markDirty(jobName, work, true), delay);
    this.retryTimers.set(jobName, { timer, failures });
  }
}

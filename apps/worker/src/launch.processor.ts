import { Inject, Injectable, Optional } from '@nestjs/common';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import { type Clock, type JobRuntime, JobLauncher, type LaunchOutcome, ObservationRecorder, rfc3339, type StatusStore } from '@rjs/core';
import type { LaunchWork } from '@rjs/queue';
import { Metrics } from '@rjs/platform';
import { APP_CONFIG, CLOCK, JOB_RUNTIME, LOGGER, STATUS_STORE } from '@rjs/platform';
import { durationInWords, launchRetriesSpent } from './launch-retry';
import { QueueProcessor } from './queue-processor';
import { WORKER_OPTIONS, type WorkerOptions } from './worker-options';

/** A runtime that caps the jobs running at once (the local one): launches wait for a slot, in queue order. */
interface SlotLimitedRuntime {
  /** `jobName`: a slot its earlier run holds here counts as free (a restart's launch ends that run first). */
  whenSlotFree(signal?: AbortSignal, jobName?: string): Promise<void>;
}

export function isSlotLimited(runtime: JobRuntime): runtime is JobRuntime & SlotLimitedRuntime {
  return typeof (runtime as Partial<SlotLimitedRuntime>).whenSlotFree === 'function';
}

/**
 * Launch work: waits for room in the runtime, then hands the job to JobLauncher. Errors that may
 * pass (runtime or Redis unavailable) are rethrown for BullMQ to retry with backoff, up to the
 * give-up time (LAUNCH_RETRY_TIMEOUT_SECONDS); a permanent failure is already recorded on the job
 * and ends the work with UnrecoverableError.
 */
@Injectable()
export class LaunchProcessor extends QueueProcessor {
  /** Aborted at shutdown: work still waiting for a slot goes back to the head of the queue. */
  private readonly shutdown = new AbortController();
  private readonly giveUpAfterMs: number;

  constructor(
    private readonly launcher: JobLauncher,
    private readonly recorder: ObservationRecorder,
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    @Inject(STATUS_STORE) private readonly store: StatusStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) protected readonly logger: Logger,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Optional() private readonly metrics?: Metrics,
  ) {
    super();
    this.giveUpAfterMs = config.launchRetryTimeoutSeconds * 1000;
  }

  override start(): void {
    // One launch at a time keeps queue order while the local runtime waits for a free slot.
    if (isSlotLimited(this.runtime)) this.worker.concurrency = 1;
    super.start();
  }

  override async close(force = false): Promise<void> {
    this.shutdown.abort();
    await super.close(force);
  }

  async process(work: Job<LaunchWork>, token?: string): Promise<LaunchOutcome> {
    const { jobName, generation = 0 } = work.data;
    if (isSlotLimited(this.runtime)) {
      try {
        await this.runtime.whenSlotFree(this.shutdown.signal, jobName);
      } catch (error) {
        if (!this.shutdown.signal.aborted) throw error;
        // Not an attempt: the work keeps its place and its retry budget.
        await work.moveToWait(token);
        throw new WaitingError();
      }
    }
    let outcome: LaunchOutcome;
    try {
      outcome = await this.launcher.launch(jobName, generation);
    } catch (error) {
      return this.retryOrGiveUp(work, error);
    }
    if (outcome === 'deferred') {
      // No launch slot is free (MAX_ACTIVE_JOBS). BullMQ's manual rate limit pauses the launch queue
      // for every worker (WorkerModule gives them a limiter, without which the pause is this
      // worker's alone) and puts the work back at the head of its priority, so it keeps its place in
      // the launch order (work that several workers put back at once shares the head, in job id
      // order). Not an attempt: the retry budget is untouched. A queue of its own per slot would
      // wake sooner, but BullMQ has no blocking wait on a condition in Redis; the pause is short.
      await this.worker.rateLimit(this.options.slotWaitMs);
      throw Worker.RateLimitError();
    }
    if (outcome === 'failed') {
      const record = await this.store.getJob(jobName).catch(() => undefined);
      throw new UnrecoverableError(record?.message ?? `job ${jobName} could not be launched`);
    }
    // The work was queued when the job was accepted (or when recovery queued it again).
    if (outcome === 'launched') this.metrics?.observeDispatchLatency((Date.now() - work.timestamp) / 1000);
    this.logger.debug({ job: jobName, outcome }, 'launch work done');
    return outcome;
  }

  /**
   * A failure that may pass: BullMQ retries the work (launchBackoffStrategy) until the give-up time
   * has passed since the first failure. The clock starts there, not at queueing: work may wait long
   * for a worker or a slot without failing. Then the job fails with the last error in words.
   */
  private async retryOrGiveUp(work: Job<LaunchWork>, error: unknown): Promise<never> {
    const now = Date.now();
    const failingSince = work.data.failingSince ?? now;
    // Work queued before retries were timed has a count of attempts instead (20).
    if (!launchRetriesSpent(failingSince, this.giveUpAfterMs, now) && !isLastAttempt(work)) {
      if (work.data.failingSince === undefined) await work.updateData({ ...work.data, failingSince });
      throw error;
    }
    const message = `the job could not be launched within ${durationInWords(this.giveUpAfterMs / 1000)}: ${(error as Error).message}`;
    try {
      const { jobName, generation } = work.data;
      await this.recorder.record(jobName, { kind: 'failed', at: rfc3339(this.clock.now()), generation, reason: 'LaunchFailed', message });
    } catch (recordError) {
      // Not given up then: the job would stay Waiting for good. The next attempt tries both again.
      this.logger.error({ err: recordError, job: work.data.jobName }, 'could not record that a job could not be launched');
      throw error;
    }
    throw new UnrecoverableError(message);
  }
}

export function isLastAttempt(work: Job): boolean {
  return work.attemptsMade + 1 >= (work.opts.attempts ?? 1);
}

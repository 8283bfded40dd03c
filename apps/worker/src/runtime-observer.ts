import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { type BackoffPolicy, backoffDelay, type JobRuntime, ObservationRecorder, VanishedJobReconciler } from '@rjs/core';
import { Readiness } from '@rjs/platform';
import { JOB_RUNTIME, LOGGER, PeriodicTask } from '@rjs/platform';
import { WORKER_OPTIONS, type WorkerOptions } from './worker-options';

const START_RETRY: BackoffPolicy = { initialMs: 1000, maxMs: 30_000 };

/**
 * Connects the runtime's observations to the one write path (ObservationRecorder), then gives a
 * final status to launched jobs that the runtime no longer holds, at start and periodically.
 * Exactly one role per process does this: the worker for the local runtime (it owns the child
 * processes), the watcher for Kubernetes.
 */
@Injectable()
export class RuntimeObserver {
  private reconciling?: PeriodicTask;
  private stopped = false;
  private started = false;

  constructor(
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    private readonly recorder: ObservationRecorder,
    private readonly reconciler: VanishedJobReconciler,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly readiness?: Readiness,
  ) {}

  /** True once the runtime reported its initial state. */
  get ready(): boolean {
    return this.started;
  }

  /**
   * Starts observing. With `retry`, a runtime that cannot start yet (API server down) is tried again
   * with backoff; without, the error is thrown (a local work directory that cannot be used is a
   * configuration error: the process should not start).
   */
  async start({ retry }: { retry: boolean }): Promise<void> {
    this.readiness?.register(`${this.runtime.kind} runtime observed`, () => this.started && (this.runtime.isSynced?.() ?? true));
    for (let retry = 1; !this.stopped; retry++) {
      try {
        await this.runtime.start((jobName, observation) => this.recorder.record(jobName, observation).then(() => undefined));
        this.started = true;
        break;
      } catch (error) {
        if (!retry) throw error;
        const delay = backoffDelay(retry, START_RETRY);
        this.logger.warn({ err: error, runtime: this.runtime.kind, retryInMs: delay }, 'the runtime could not start observing; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
    if (this.stopped) return;
    // Only after the runtime's own state is known: has() must not answer from an empty cache.
    this.reconciling = new PeriodicTask(
      'reconciling vanished jobs',
      this.options.reconcileIntervalMs,
      async () => {
        const vanished = await this.reconciler.reconcile();
        if (vanished.length) this.logger.warn({ jobs: vanished }, 'jobs the runtime no longer holds were given a final status');
      },
      this.logger,
    );
    await this.reconciling.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reconciling?.stop();
  }
}

import { type BeforeApplicationShutdown, Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import { type Clock, RetentionSweeper, type StatusStore, type WorkQueue } from '@rjs/core';
import { APP_CONFIG, CLOCK, LOGGER, Metrics, PeriodicTask, STATUS_STORE, WORK_QUEUE } from '@rjs/platform';

/**
 * How often to look for expired records: a tenth of the retention, between 1 s and a minute, so a
 * record outlives its retention by at most that and a short retention (tests) is kept to closely.
 */
export function retentionIntervalMs(retentionSeconds: number): number {
  return Math.min(60_000, Math.max(1000, (retentionSeconds * 1000) / 10));
}

/**
 * Retention in the worker role: removes finished batches and single jobs RETENTION_SECONDS after
 * they ended, with what the runtime keeps for them (queued as remove work, as a DELETE does). Every
 * worker process runs it; the store's atomic re-check makes that safe. Off when RETENTION_SECONDS is 0.
 */
@Injectable()
export class RetentionLoop implements BeforeApplicationShutdown {
  private readonly task?: PeriodicTask;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(STATUS_STORE) store: StatusStore,
    @Inject(WORK_QUEUE) queue: WorkQueue,
    @Inject(CLOCK) clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: Metrics,
  ) {
    if (config.retentionSeconds === 0) return;
    const sweeper = new RetentionSweeper(store, queue, clock, config.retentionSeconds, (error) =>
      logger.warn({ err: error }, 'runtime cleanup of expired jobs could not be queued yet; recovery will queue it'),
    );
    this.task = new PeriodicTask('removing expired records', retentionIntervalMs(config.retentionSeconds), () => this.sweep(sweeper), logger);
  }

  /** Called by the worker once Redis is connected: a sweep before that only fails and warns. */
  start(): void {
    if (!this.task) {
      this.logger.info({}, 'retention is off (RETENTION_SECONDS=0): finished records are kept');
      return;
    }
    // Not awaited: a long first sweep (a store that has not been swept for a while) must not hold up the start.
    void this.task.start();
  }

  /** Ends after the step in hand; the next run carries on where this one stopped. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.task?.stop();
  }

  private async sweep(sweeper: RetentionSweeper): Promise<void> {
    const removed = await sweeper.sweep(
      (step) => this.metrics?.countRetentionRemoved(step.jobs),
      () => this.stopping,
    );
    if (removed) this.logger.info({ removed }, 'retention removed finished jobs');
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import { Recovery, type StatusStore } from '@rjs/core';
import { APP_CONFIG, LOGGER, PeriodicTask, STATUS_STORE } from '@rjs/platform';
import { WORKER_OPTIONS, type WorkerOptions } from './worker-options';

/**
 * Finishes what a crash interrupted, at start and then periodically: accepted jobs not yet queued,
 * deleted jobs whose runtime cleanup is not queued, jobs left Stopping, and (MAX_ACTIVE_JOBS) launch
 * slots of jobs that have ended. Every step is
 * idempotent, so any number of worker processes may run it.
 */
@Injectable()
export class RecoveryLoop {
  private readonly tasks: PeriodicTask[];

  constructor(
    recovery: Recovery,
    @Inject(WORKER_OPTIONS) options: WorkerOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(STATUS_STORE) store: StatusStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tasks = [
      new PeriodicTask('recovering the dispatch and cleanup outboxes', options.outboxRecoveryIntervalMs, async () => {
        const dispatched = await recovery.redispatch(options.dispatchGraceMs);
        const cleaned = await recovery.requeueCleanup();
        if (dispatched || cleaned) this.logger.info({ dispatched, cleaned }, 'recovered queue work that a crash had interrupted');
      }, logger),
      new PeriodicTask('requeueing stops', options.stopRecoveryIntervalMs, () => recovery.requeueStops(), logger),
    ];
    // A slot whose holder's record is final or gone (its worker was killed between the two, or the
    // record was written before the cap was set) goes back, so a crash leaks no slot for good.
    if (config.maxActiveJobs !== undefined) {
      this.tasks.push(
        new PeriodicTask('giving back launch slots', options.slotReconcileIntervalMs, async () => {
          const released = await store.reconcileSlots();
          if (released.length) this.logger.info({ released: released.length }, 'gave back launch slots of jobs that had ended');
        }, logger),
      );
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.stop()));
  }
}

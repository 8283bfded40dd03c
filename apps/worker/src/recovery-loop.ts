import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Recovery } from '@rjs/core';
import { LOGGER } from '@rjs/platform';
import { PeriodicTask } from './periodic-task';
import { WORKER_OPTIONS, type WorkerOptions } from './worker-options';

/**
 * Finishes what a crash interrupted, at start and then periodically: accepted jobs not yet queued,
 * deleted jobs whose runtime cleanup is not queued, and jobs left Stopping. Every step is
 * idempotent, so any number of worker processes may run it.
 */
@Injectable()
export class RecoveryLoop {
  private readonly tasks: PeriodicTask[];

  constructor(
    recovery: Recovery,
    @Inject(WORKER_OPTIONS) options: WorkerOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.tasks = [
      new PeriodicTask('recovering the dispatch and cleanup outboxes', options.outboxRecoveryIntervalMs, async () => {
        const dispatched = await recovery.redispatch();
        const cleaned = await recovery.requeueCleanup();
        if (dispatched || cleaned) this.logger.info({ dispatched, cleaned }, 'recovered queue work that a crash had interrupted');
      }, logger),
      new PeriodicTask('requeueing stops', options.stopRecoveryIntervalMs, () => recovery.requeueStops(), logger),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.stop()));
  }
}

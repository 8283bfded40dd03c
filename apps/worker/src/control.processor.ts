import { Inject, Injectable } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { JobController, PermanentLaunchError } from '@rjs/core';
import type { ControlWork } from '@rjs/queue';
import { LOGGER } from '@rjs/platform';
import { QueueProcessor } from './queue-processor';

/**
 * Stop and remove work for jobs that reached a runtime: one call into JobController. Errors that may
 * pass are rethrown for BullMQ to retry (until they go through: CONTROL_WORK_OPTIONS); a job left
 * Stopping is queued again by recovery.
 */
@Injectable()
export class ControlProcessor extends QueueProcessor {
  constructor(
    private readonly controller: JobController,
    @Inject(LOGGER) protected readonly logger: Logger,
  ) {
    super();
  }

  async process(work: Job<ControlWork>): Promise<void> {
    const { action, jobName } = work.data;
    try {
      if (action === 'stop') await this.controller.stop(jobName);
      else if (action === 'remove') await this.controller.remove(jobName);
      else throw new UnrecoverableError(`unknown control action "${String(action)}"`);
    } catch (error) {
      if (error instanceof PermanentLaunchError) throw new UnrecoverableError(error.message);
      throw error;
    }
    this.logger.debug({ job: jobName, action }, 'control work done');
  }
}

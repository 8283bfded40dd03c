import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { DispatchExpansion } from '@rjs/core';
import type { DispatchWork } from '@rjs/queue';
import { LOGGER } from '@rjs/platform';
import { QueueProcessor } from './queue-processor';

/**
 * Hand-offs from the API become launch work (DispatchExpansion). One at a time per worker, so that
 * the launch work of one API process's hand-offs is queued in the order they were made (launches of
 * equal priority go in that order). Errors (Redis) are rethrown for BullMQ to retry.
 */
@Injectable()
export class DispatchProcessor extends QueueProcessor {
  constructor(
    private readonly expansion: DispatchExpansion,
    @Inject(LOGGER) protected readonly logger: Logger,
  ) {
    super();
  }

  async process(work: Job<DispatchWork>): Promise<number> {
    const queued = await this.expansion.expand(work.data.jobNames, work.timestamp);
    this.logger.debug({ jobs: work.data.jobNames.length, queued }, 'hand-off queued as launch work');
    return queued;
  }
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { InDoubtAccepts } from '@rjs/core';
import { LOGGER, PeriodicTask } from '@rjs/platform';

/** How often accepts whose outcome is unknown are looked at (they must go before recovery's grace ends). */
export const WITHDRAW_INTERVAL_MS = 500;

/**
 * Takes back, as soon as Redis answers again, the batches of accepts that were answered 503 while
 * their write may have landed (InDoubtAccepts), so that no job runs for a request that was refused.
 */
@Injectable()
export class InDoubtWithdrawal implements OnModuleInit, OnApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly accepts: InDoubtAccepts,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask('withdrawing accepts answered 503', WITHDRAW_INTERVAL_MS, () => this.withdraw(), logger);
  }

  onModuleInit(): void {
    void this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
    if (this.accepts.size > 0) {
      this.logger.warn({ batches: this.accepts.size }, 'accepts answered 503 whose write may have landed were not withdrawn before shutdown; if they landed, recovery runs them');
    }
  }

  private async withdraw(): Promise<void> {
    if (this.accepts.size === 0) return;
    for (const { batchName, outcome } of await this.accepts.withdraw()) {
      if (outcome === 'withdrawn') this.logger.info({ batch: batchName }, 'withdrew an accept answered 503: Redis had written it before failing');
      else if (outcome !== 'absent') this.logger.warn({ batch: batchName, outcome }, 'an accept answered 503 may have been written and could not be withdrawn: its jobs run');
    }
  }
}

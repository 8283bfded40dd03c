import { Inject, Injectable, Optional } from '@nestjs/common';
import { type Job, Worker } from 'bullmq';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import type { JobRuntime } from '@rjs/core';
import { type ControlWork, controlQueueName, launchQueueName, type LaunchWork } from '@rjs/queue';
import { Readiness } from '../../scheduler/src/ops/readiness';
import { APP_CONFIG, JOB_RUNTIME, LOGGER } from '../../scheduler/src/tokens';
import { ControlProcessor } from './control.processor';
import { isSlotLimited, LaunchProcessor } from './launch.processor';
import { WORKER_OPTIONS, type WorkerOptions } from './worker-options';

/**
 * The BullMQ workers on this component's launch and control queues. They get connections of their
 * own that wait through a Redis outage (maxRetriesPerRequest: null, as BullMQ requires), unlike the
 * API's fail-fast connection.
 */
@Injectable()
export class QueueWorkers {
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly launchProcessor: LaunchProcessor,
    private readonly controlProcessor: ControlProcessor,
    @Optional() private readonly readiness?: Readiness,
  ) {}

  start(): void {
    this.readiness?.register('BullMQ workers running', () => this.workers.length > 0 && this.workers.every((worker) => worker.isRunning()));
    const component = this.config.component.name;
    // One launch at a time keeps queue order while the local runtime waits for a free slot.
    const launchConcurrency = isSlotLimited(this.runtime) ? 1 : this.options.launchConcurrency;
    this.run(
      new Worker<LaunchWork>(launchQueueName(component), (work, token) => this.launchProcessor.process(work, token), {
        ...this.common(),
        concurrency: launchConcurrency,
      }),
    );
    this.run(
      new Worker<ControlWork>(controlQueueName(component), (work) => this.controlProcessor.process(work), {
        ...this.common(),
        concurrency: this.options.controlConcurrency,
      }),
    );
  }

  /**
   * Lets the work in hand finish (launches waiting for a slot go back to the queue), then
   * disconnects. `force` does not wait: work in hand is taken over by another worker once its lock
   * expires, as after a crash. Closing again (the app's shutdown after a test closed the
   * workers) waits for the first close: quitting an ended connection would fail, and ioredis's
   * fallback disconnect() arms a 2 s timer on the closed socket that nothing clears.
   */
  close(force = false): Promise<void> {
    this.closing ??= this.shutdown(force);
    return this.closing;
  }

  private async shutdown(force: boolean): Promise<void> {
    this.launchProcessor.shutdown.abort();
    await Promise.all(this.workers.map((worker) => worker.close(force).catch((error) => this.logger.warn({ err: error }, 'closing a queue worker failed'))));
    await Promise.all(this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
  }

  private common() {
    const connection = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(connection);
    return {
      connection,
      autorun: false,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      // Work whose worker died is handed to another one a few times before BullMQ gives up on it.
      maxStalledCount: 5,
    };
  }

  private run(worker: Worker): void {
    this.workers.push(worker);
    worker.on('error', (error) => this.logger.warn({ err: error, queue: worker.name }, 'queue worker error'));
    worker.on('failed', (work: Job | undefined, error) =>
      this.logger.warn({ err: error, queue: worker.name, job: work?.data?.jobName, attempt: work?.attemptsMade }, 'work failed'),
    );
    worker.run().catch((error) => this.logger.error({ err: error, queue: worker.name }, 'queue worker stopped'));
  }
}

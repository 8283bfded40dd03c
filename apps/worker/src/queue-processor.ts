import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import type { Job, WorkerOptions as BullWorkerOptions } from 'bullmq';
import type { Logger } from 'pino';

/** The BullModule configuration (forRootAsync) that holds the workers' connection. */
export const WORKER_CONNECTION = 'worker';

/**
 * A BullMQ processor on one of this component's queues. Nest builds its worker with `autorun: false`:
 * WorkerModule starts it once recovery has run, and closes it before the runtime and Redis close.
 */
export abstract class QueueProcessor extends WorkerHost {
  protected abstract readonly logger: Logger;

  start(): void {
    this.worker.run().catch((error) => this.logger.error({ err: error, queue: this.worker.name }, 'queue worker stopped'));
  }

  private closing = false;

  /** False from the moment closing starts: BullMQ's own flag drops only once its loop has wound down. */
  isRunning(): boolean {
    return !this.closing && this.worker.isRunning();
  }

  /**
   * Lets the work in hand finish, then disconnects. `force` does not wait: work in hand is taken
   * over by another worker once its lock expires, as after a crash.
   */
  async close(force = false): Promise<void> {
    this.closing = true;
    await this.worker.close(force).catch((error) => this.logger.warn({ err: error, queue: this.worker.name }, 'closing a queue worker failed'));
  }

  @OnWorkerEvent('failed')
  onFailed(work: Job | undefined, error: Error): void {
    this.logger.warn({ err: error, queue: this.worker.name, job: work?.data?.jobName, attempt: work?.attemptsMade }, 'work failed');
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn({ err: error, queue: this.worker.name }, 'queue worker error');
  }
}

/**
 * `@Processor` takes its queue name when the class is defined, but ours depend on the component in
 * the configuration (libs/queue/src/queue-names.ts): each WorkerModule decorates subclasses of its
 * own, so that two apps in one process (tests) keep their queues apart.
 */
export function processorOn<T extends QueueProcessor>(base: Type<T>, queueName: string, options: Omit<BullWorkerOptions, 'connection'>): Type<T> {
  // Adds nothing but the decorator's metadata; the constructor and its injection come from `base`.
  const processor = class extends (base as Type<object>) {} as Type<T>;
  Object.defineProperty(processor, 'name', { value: base.name });
  Processor({ name: queueName, configKey: WORKER_CONNECTION }, options)(processor);
  return processor;
}

import { type BeforeApplicationShutdown, type DynamicModule, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { JobRuntime } from '@rjs/core';
import { JOB_RUNTIME, LOGGER, REDIS } from '@rjs/platform';
import { ControlProcessor } from './control.processor';
import { LaunchProcessor } from './launch.processor';
import { QueueWorkers } from './queue-workers';
import { RecoveryLoop } from './recovery-loop';
import { redisReady } from './redis-ready';
import { RuntimeObserver } from './runtime-observer';
import { DEFAULT_WORKER_OPTIONS, WORKER_OPTIONS, type WorkerOptions, workerOptions } from './worker-options';

const REDIS_WAIT_MS = 10_000;

/**
 * The worker role: BullMQ processors for launch, stop and remove work, and crash recovery. With the
 * local runtime it also observes the runtime, because the processes it launches are its children.
 */
@Module({
  providers: [
    { provide: WORKER_OPTIONS, useValue: DEFAULT_WORKER_OPTIONS },
    LaunchProcessor,
    ControlProcessor,
    QueueWorkers,
    RecoveryLoop,
    RuntimeObserver,
  ],
  exports: [QueueWorkers, RuntimeObserver],
})
export class WorkerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    private readonly queueWorkers: QueueWorkers,
    private readonly recovery: RecoveryLoop,
    private readonly observer: RuntimeObserver,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(options: Partial<WorkerOptions> = {}): DynamicModule {
    return { module: WorkerModule, providers: [{ provide: WORKER_OPTIONS, useValue: workerOptions(options) }] };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await redisReady(this.redis, REDIS_WAIT_MS))) this.logger.warn({}, 'Redis is not reachable yet; the worker starts and keeps trying');
    // Jobs left by a previous run are settled before new work is taken.
    if (this.runtime.kind === 'local') await this.observer.start({ retry: false });
    await this.recovery.start();
    this.queueWorkers.start();
    this.logger.info({ runtime: this.runtime.kind }, 'worker started');
  }

  /** Before the infrastructure closes: finish the work in hand; the runtime itself closes after. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.recovery.stop();
    await this.queueWorkers.close();
    await this.observer.stop();
  }
}

import { BullModule } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, type DynamicModule, Inject, Module, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import type { JobRuntime } from '@rjs/core';
import { APP_CONFIG, JOB_RUNTIME, LOGGER, Readiness, REDIS } from '@rjs/platform';
import { controlQueueName, launchQueueName } from '@rjs/queue';
import { ControlProcessor } from './control.processor';
import { LaunchProcessor } from './launch.processor';
import { launchBackoffStrategy } from './launch-retry';
import { processorOn, type QueueProcessor, WORKER_CONNECTION } from './queue-processor';
import { RecoveryLoop } from './recovery-loop';
import { redisReady } from './redis-ready';
import { RetentionLoop } from './retention-loop';
import { RuntimeObserver } from './runtime-observer';
import { DEFAULT_WORKER_OPTIONS, WORKER_OPTIONS, type WorkerOptions, workerOptions } from './worker-options';

const REDIS_WAIT_MS = 10_000;

/**
 * The worker role: BullMQ processors for launch, stop and remove work, and crash recovery. With the
 * local runtime it also observes the runtime, because the processes it launches are its children.
 */
@Module({
  providers: [{ provide: WORKER_OPTIONS, useValue: DEFAULT_WORKER_OPTIONS }, RecoveryLoop, RuntimeObserver, RetentionLoop],
  exports: [RuntimeObserver],
})
export class WorkerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly processors: QueueProcessor[];

  constructor(
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    launches: LaunchProcessor,
    controls: ControlProcessor,
    private readonly recovery: RecoveryLoop,
    private readonly observer: RuntimeObserver,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly readiness?: Readiness,
  ) {
    this.processors = [launches, controls];
  }

  /** The processors work on the queues of the configured component. */
  static forRoot(config: AppConfig, overrides: Partial<WorkerOptions> = {}): DynamicModule {
    const options = workerOptions(overrides);
    const worker = {
      // Started by onApplicationBootstrap, once recovery has run.
      autorun: false,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      // Work whose worker died is handed to another one a few times before BullMQ gives up on it.
      maxStalledCount: 5,
    };
    const component = config.component.name;
    return {
      module: WorkerModule,
      imports: [
        // The workers' own connections, which wait through a Redis outage (maxRetriesPerRequest: null,
        // as BullMQ requires), unlike the API's fail-fast one.
        BullModule.forRootAsync(WORKER_CONNECTION, {
          inject: [APP_CONFIG],
          useFactory: (appConfig: AppConfig) => ({ connection: { url: appConfig.redisUrl, maxRetriesPerRequest: null } }),
        }),
      ],
      providers: [
        { provide: WORKER_OPTIONS, useValue: options },
        {
          provide: LaunchProcessor,
          useClass: processorOn(LaunchProcessor, launchQueueName(component), {
            ...worker,
            concurrency: options.launchConcurrency,
            settings: { backoffStrategy: launchBackoffStrategy(config.launchRetryTimeoutSeconds * 1000) },
          }),
        },
        { provide: ControlProcessor, useClass: processorOn(ControlProcessor, controlQueueName(component), { ...worker, concurrency: options.controlConcurrency }) },
      ],
      exports: [LaunchProcessor, ControlProcessor],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await redisReady(this.redis, REDIS_WAIT_MS))) this.logger.warn({}, 'Redis is not reachable yet; the worker starts and keeps trying');
    // Jobs left by a previous run are settled before new work is taken.
    if (this.runtime.kind === 'local') await this.observer.start({ retry: false });
    await this.recovery.start();
    this.readiness?.register('BullMQ workers running', () => this.processors.every((processor) => processor.isRunning()));
    for (const processor of this.processors) processor.start();
    this.logger.info({ runtime: this.runtime.kind }, 'worker started');
  }

  /** Before the infrastructure closes: finish the work in hand; the runtime itself closes after. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.recovery.stop();
    await Promise.all(this.processors.map((processor) => processor.close()));
    await this.observer.stop();
  }
}

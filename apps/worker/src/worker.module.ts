import { BullModule } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, type DynamicModule, Inject, Module, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { type Cluster } from 'ioredis';
import { closeRedis, createWorkerCluster, type RedisClient, redisUrlOptions } from '@rjs/store';
import type { Logger } from 'pino';
import type { AppConfig } from '@rjs/config';
import type { JobRuntime } from '@rjs/core';
import { APP_CONFIG, JOB_RUNTIME, LOGGER, Readiness, REDIS, WORK_QUEUE } from '@rjs/platform';
// (NOTIFICATION_OUTBOX: the worker's own, with its coalescing window and lease.)
import { type BullMqWorkQueue, controlQueueName, dispatchQueueName, launchQueueName, notificationQueueName, queuePrefix } from '@rjs/queue';
import { RedisNotificationOutbox } from '@rjs/store';
import { NOTIFICATION_OUTBOX } from '@rjs/platform';
import { DeliveryProcessor } from './notifications/delivery.processor';
import { deliveryBackoffStrategy } from './notifications/delivery-retry';
import { NotificationLoop } from './notifications/notification-loop';
import { ControlProcessor } from './control.processor';
import { DispatchProcessor } from './dispatch.processor';
import { LaunchProcessor } from './launch.processor';
import { controlBackoffStrategy, launchBackoffStrategy } from './launch-retry';
import { processorOn, type QueueProcessor, WORKER_CONNECTION } from './queue-processor';
import { RecoveryLoop } from './recovery-loop';
import { redisReady } from './redis-ready';
import { RetentionLoop } from './retention-loop';
import { RuntimeObserver } from './runtime-observer';
import { DEFAULT_WORKER_OPTIONS, WORKER_OPTIONS, type WorkerOptions, workerOptions } from './worker-options';

const REDIS_WAIT_MS = 10_000;
/** At most this long at start for the hand-offs waiting to become launch work before launches start. */
const HANDOFF_WAIT_MS = 10_000;

/** Holds the workers' Redis Cluster connection, when there is one: BullMQ does not close a connection it was handed. */
const WORKER_CLUSTER = Symbol('WORKER_CLUSTER');
interface WorkerCluster {
  client?: Cluster;
}

/**
 * The worker role: BullMQ processors for the API's hand-offs, launch, stop and remove work, and
 * crash recovery. With the local runtime it also observes the runtime, because the processes it
 * launches are its children.
 */
@Module({
  providers: [{ provide: WORKER_OPTIONS, useValue: DEFAULT_WORKER_OPTIONS }, RecoveryLoop, RuntimeObserver, RetentionLoop, NotificationLoop],
  exports: [RuntimeObserver],
})
export class WorkerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly processors: QueueProcessor[];

  constructor(
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    private readonly dispatches: DispatchProcessor,
    launches: LaunchProcessor,
    controls: ControlProcessor,
    private readonly recovery: RecoveryLoop,
    private readonly retention: RetentionLoop,
    private readonly observer: RuntimeObserver,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_CLUSTER) private readonly workerCluster: WorkerCluster,
    private readonly deliveries: DeliveryProcessor,
    private readonly notifier: NotificationLoop,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WORK_QUEUE) private readonly queues: BullMqWorkQueue,
    @Optional() private readonly readiness?: Readiness,
  ) {
    // Webhook deliveries run only when a webhook is configured (nothing is kept for one otherwise).
    this.processors = [dispatches, launches, controls, ...(config.notifications.webhook ? [deliveries] : [])];
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
    const workerCluster: WorkerCluster = {};
    return {
      module: WorkerModule,
      imports: [
        // The workers' own connections, which wait through a Redis outage (maxRetriesPerRequest: null,
        // as BullMQ requires), unlike the API's fail-fast one.
        BullModule.forRootAsync(WORKER_CONNECTION, {
          inject: [APP_CONFIG],
          useFactory: (appConfig: AppConfig) => ({
            connection: appConfig.redisClusterNodes
              ? (workerCluster.client = createWorkerCluster(appConfig))
              : { url: appConfig.redisUrl, ...redisUrlOptions(appConfig), maxRetriesPerRequest: null },
            // The component's hash tag, as the producer's queues (InfrastructureModule) have it.
            prefix: queuePrefix(appConfig.component.name),
          }),
        }),
      ],
      providers: [
        { provide: WORKER_CLUSTER, useValue: workerCluster },
        { provide: WORKER_OPTIONS, useValue: options },
        {
          provide: DispatchProcessor,
          // One at a time: launch work is queued in the order of the hand-offs (DispatchProcessor).
          useClass: processorOn(DispatchProcessor, dispatchQueueName(component), { ...worker, concurrency: 1, settings: { backoffStrategy: controlBackoffStrategy } }),
        },
        {
          provide: LaunchProcessor,
          useClass: processorOn(LaunchProcessor, launchQueueName(component), {
            ...worker,
            concurrency: options.launchConcurrency,
            // With MAX_ACTIVE_JOBS a worker that finds no slot pauses the queue (LaunchProcessor);
            // BullMQ honours that pause only in workers that have a limiter. This one never limits by itself.
            ...(config.maxActiveJobs !== undefined ? { limiter: { max: Number.MAX_SAFE_INTEGER - 1, duration: options.slotWaitMs } } : {}),
            settings: { backoffStrategy: launchBackoffStrategy(config.launchRetryTimeoutSeconds * 1000) },
          }),
        },
        {
          provide: ControlProcessor,
          useClass: processorOn(ControlProcessor, controlQueueName(component), {
            ...worker,
            concurrency: options.controlConcurrency,
            settings: { backoffStrategy: controlBackoffStrategy },
          }),
        },
        {
          provide: DeliveryProcessor,
          // One delivery per batch is open at a time, so deliveries of many batches go in parallel.
          useClass: processorOn(DeliveryProcessor, notificationQueueName(component), {
            ...worker,
            concurrency: 50,
            settings: { backoffStrategy: deliveryBackoffStrategy(options.deliveryBackoff, options.deliveryGiveUpAfterMs) },
          }),
        },
        {
          provide: NOTIFICATION_OUTBOX,
          inject: [REDIS],
          useFactory: (redis: RedisClient) =>
            new RedisNotificationOutbox(redis, component, { coalesceMs: options.deliveryCoalesceMs, leaseMs: options.deliveryLeaseMs, maxJobs: 1000 }),
        },
      ],
      exports: [DispatchProcessor, LaunchProcessor, ControlProcessor, DeliveryProcessor],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await redisReady(this.redis, REDIS_WAIT_MS))) this.logger.warn({}, 'Redis is not reachable yet; the worker starts and keeps trying');
    // Jobs left by a previous run are settled before new work is taken.
    if (this.runtime.kind === 'local') await this.observer.start({ retry: false });
    await this.recovery.start();
    this.retention.start();
    this.readiness?.register('BullMQ workers running', () => this.processors.every((processor) => processor.isRunning()));
    // Hand-offs made while no worker ran become launch work before launches start, so that these
    // take the whole backlog in priority order, not the jobs of the first hand-offs first.
    this.dispatches.start();
    await this.handOffsQueued();
    for (const processor of this.processors) if (processor !== this.dispatches) processor.start();
    if (this.config.notifications.webhook) this.notifier.start();
    this.logger.info({ runtime: this.runtime.kind }, 'worker started');
  }

  /** Resolves when no hand-off waits or is in hand (any worker's), or after HANDOFF_WAIT_MS. */
  private async handOffsQueued(): Promise<void> {
    const deadline = Date.now() + HANDOFF_WAIT_MS;
    while (Date.now() < deadline) {
      try {
        const counts = await this.queues.dispatchQueue.getJobCounts('wait', 'active');
        if (!counts.wait && !counts.active) return;
      } catch {
        // Redis unreachable: launches start at the deadline, and wait for Redis as they always did.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Before the infrastructure closes: finish the work in hand; the runtime itself closes after. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.recovery.stop();
    await this.notifier.beforeApplicationShutdown();
    await Promise.all([...new Set([...this.processors, this.deliveries])].map((processor) => processor.close()));
    if (this.workerCluster.client) await closeRedis(this.workerCluster.client);
    await this.observer.stop();
  }
}

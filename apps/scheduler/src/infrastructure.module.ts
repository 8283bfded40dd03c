import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import Redis from 'ioredis';
import type { AppConfig } from '@rjs/config';
import {
  type Clock,
  JobAcceptor,
  JobController,
  JobCopier,
  JobLauncher,
  JobLogReader,
  type JobLogs,
  JobQueries,
  JobRemover,
  JobRestarter,
  type JobRuntime,
  JobStopper,
  ObservationRecorder,
  Recovery,
  type StatusStore,
  systemClock,
  VanishedJobReconciler,
  type WorkQueue,
} from '@rjs/core';
import { BullMqWorkQueue, CONTROL_QUEUE, controlQueueName, LAUNCH_QUEUE, launchQueueName } from '@rjs/queue';
import { RedisStatusStore } from '@rjs/store';
import type { Logger } from '@rjs/platform';
import { Metrics } from '@rjs/platform';
import { createJobLogs, createRuntime, type RuntimeHooks } from './runtime.factory';
import { APP_CONFIG, CLOCK, JOB_LOGS, JOB_RUNTIME, LOGGER, REDIS, STATUS_STORE, WORK_QUEUE } from '@rjs/platform';

export interface InfrastructureOverrides {
  /** Tests pass a runtime of their own (e.g. the Kubernetes adapter against the fake API server). */
  runtime?: JobRuntime;
  /** And the log reader that goes with it. */
  jobLogs?: JobLogs;
  clock?: Clock;
}

/**
 * Fails fast while Redis is down, so that a request gets a 503 instead of hanging; reconnects
 * forever in the background.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}

/** Resolved when an error happens: the metrics live in OpsModule, which needs this module first. */
function runtimeHooks(moduleRef: ModuleRef): RuntimeHooks {
  return { onKubernetesApiError: (code) => moduleRef.get(Metrics, { strict: false }).countKubernetesApiError(code) };
}

@Global()
@Module({})
export class InfrastructureModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(WORK_QUEUE) private readonly queue: BullMqWorkQueue,
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(config: AppConfig, logger: Logger, overrides: InfrastructureOverrides = {}): DynamicModule {
    const useCase = <T>(provide: new (...args: never[]) => T, inject: unknown[], factory: (...args: never[]) => T) => ({
      provide,
      inject: inject as never[],
      useFactory: factory,
    });
    const queue = (name: string, queueName: (component: string) => string) => ({
      name,
      inject: [APP_CONFIG],
      useFactory: (appConfig: AppConfig) => ({ name: queueName(appConfig.component.name) }),
    });
    return {
      module: InfrastructureModule,
      imports: [
        // The producer's queues share the fail-fast connection: while Redis is down a request gets a
        // 503 at once instead of hanging. (The workers have connections of their own: WorkerModule.)
        BullModule.forRootAsync({ inject: [REDIS], useFactory: (redis: Redis) => ({ connection: redis }) }),
        BullModule.registerQueueAsync(queue(LAUNCH_QUEUE, launchQueueName), queue(CONTROL_QUEUE, controlQueueName)),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: REDIS, useFactory: () => createRedis(config.redisUrl) },
        { provide: STATUS_STORE, inject: [REDIS], useFactory: (redis: Redis) => new RedisStatusStore(redis, config.component.name) },
        BullMqWorkQueue,
        { provide: WORK_QUEUE, useExisting: BullMqWorkQueue },
        {
          provide: JOB_RUNTIME,
          inject: [ModuleRef],
          useFactory: (moduleRef: ModuleRef) => overrides.runtime ?? createRuntime(config, logger, runtimeHooks(moduleRef)),
        },
        {
          provide: JOB_LOGS,
          inject: [ModuleRef],
          useFactory: (moduleRef: ModuleRef) => overrides.jobLogs ?? createJobLogs(config, runtimeHooks(moduleRef)),
        },
        useCase(ObservationRecorder, [STATUS_STORE], (store: StatusStore) => new ObservationRecorder(store)),
        useCase(JobQueries, [STATUS_STORE], (store: StatusStore) => new JobQueries(store, config.component.batchStatusRules)),
        useCase(JobLogReader, [JobQueries, JOB_LOGS], (queries: JobQueries, logs: JobLogs) => new JobLogReader(queries, logs)),
        useCase(
          JobAcceptor,
          [STATUS_STORE, WORK_QUEUE, CLOCK],
          (store: StatusStore, queue: WorkQueue, clock: Clock) =>
            new JobAcceptor(config.component, store, queue, clock, undefined, (error) =>
              logger.warn({ err: error }, 'accepted jobs could not be queued yet; recovery will queue them'),
            ),
        ),
        useCase(
          JobStopper,
          [STATUS_STORE, WORK_QUEUE, JobQueries, CLOCK],
          (store: StatusStore, queue: WorkQueue, queries: JobQueries, clock: Clock) => new JobStopper(store, queue, queries, clock),
        ),
        useCase(
          JobRestarter,
          [STATUS_STORE, WORK_QUEUE, JobQueries, CLOCK],
          (store: StatusStore, queue: WorkQueue, queries: JobQueries, clock: Clock) =>
            new JobRestarter(store, queue, queries, clock, (error) =>
              logger.warn({ err: error }, 'restarted jobs could not be queued yet; recovery will queue them'),
            ),
        ),
        useCase(JobCopier, [STATUS_STORE, JobAcceptor], (store: StatusStore, acceptor: JobAcceptor) => new JobCopier(store, acceptor)),
        useCase(
          JobRemover,
          [STATUS_STORE, WORK_QUEUE],
          (store: StatusStore, queue: WorkQueue) =>
            new JobRemover(store, queue, (error) => logger.warn({ err: error }, 'runtime cleanup could not be queued yet; recovery will queue it')),
        ),
        useCase(
          JobLauncher,
          [STATUS_STORE, JOB_RUNTIME, ObservationRecorder, CLOCK],
          (store: StatusStore, runtime: JobRuntime, recorder: ObservationRecorder, clock: Clock) => new JobLauncher(store, runtime, recorder, clock),
        ),
        useCase(
          JobController,
          [STATUS_STORE, JOB_RUNTIME, ObservationRecorder, CLOCK],
          (store: StatusStore, runtime: JobRuntime, recorder: ObservationRecorder, clock: Clock) => new JobController(store, runtime, recorder, clock),
        ),
        useCase(Recovery, [STATUS_STORE, WORK_QUEUE], (store: StatusStore, queue: WorkQueue) => new Recovery(store, queue)),
        useCase(
          VanishedJobReconciler,
          [STATUS_STORE, JOB_RUNTIME, ObservationRecorder, CLOCK],
          (store: StatusStore, runtime: JobRuntime, recorder: ObservationRecorder, clock: Clock) =>
            new VanishedJobReconciler(store, runtime, recorder, clock),
        ),
      ],
      exports: [APP_CONFIG, LOGGER, CLOCK, REDIS, STATUS_STORE, WORK_QUEUE, JOB_RUNTIME, JOB_LOGS, ObservationRecorder, JobQueries, JobLogReader, JobAcceptor, JobStopper, JobRestarter, JobCopier, JobRemover, JobLauncher, JobController, Recovery, VanishedJobReconciler],
    };
  }

  onModuleInit(): void {
    this.queue.onError((error) => this.logger.warn({ err: error.message }, 'work queue connection error'));
  }

  /** Closes last, after the role modules stopped their workers and watchers (Nest closes the queues). */
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close().catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

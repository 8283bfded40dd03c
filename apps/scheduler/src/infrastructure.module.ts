import { BullModule } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, type DynamicModule, Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { AppConfig } from '@rjs/config';
import {
  type Clock,
  DispatchExpansion,
  InDoubtAccepts,
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
import { BullMqWorkQueue, CONTROL_QUEUE, controlQueueName, DISPATCH_QUEUE, dispatchQueueName, LAUNCH_QUEUE, launchQueueName, queuePrefix } from '@rjs/queue';
import { BullMqNotificationQueue, NOTIFICATION_QUEUE, notificationQueueName } from '@rjs/queue';
import { closeRedis, createRedis, type RedisClient, RedisNotificationOutbox, RedisStatusStore } from '@rjs/store';
import { NotificationComposer } from '@rjs/core';
import { NOTIFICATION_OUTBOX } from '@rjs/platform';
import type { Logger } from '@rjs/platform';
import { Metrics } from '@rjs/platform';
import { createJobLogs, createRuntime, type RuntimeHooks } from './runtime.factory';
import { legacyLayoutPresent } from './key-layout-migration';
import { APP_CONFIG, CLOCK, JOB_LOGS, JOB_RUNTIME, LOGGER, REDIS, STATUS_STORE, WORK_QUEUE } from '@rjs/platform';

export interface InfrastructureOverrides {
  /** Tests pass a runtime of their own (e.g. the Kubernetes adapter against the fake API server). */
  runtime?: JobRuntime;
  /** And the log reader that goes with it. */
  jobLogs?: JobLogs;
  clock?: Clock;
}

/** One Redis or a Redis Cluster, failing fast while it is down (see libs/store/src/redis-connection.ts). */
export { createRedis };

/** Resolved when an error happens: the metrics live in OpsModule, which needs this module first. */
function runtimeHooks(moduleRef: ModuleRef): RuntimeHooks {
  return { onKubernetesApiError: (code) => moduleRef.get(Metrics, { strict: false }).countKubernetesApiError(code) };
}

@Global()
@Module({})
export class InfrastructureModule implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(WORK_QUEUE) private readonly queue: BullMqWorkQueue,
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly acceptor: JobAcceptor,
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
        // The prefix carries the component's hash tag (queuePrefix), for a Redis Cluster.
        BullModule.forRootAsync({ inject: [REDIS], useFactory: (redis: RedisClient) => ({ connection: redis, prefix: queuePrefix(config.component.name) }) }),
        BullModule.registerQueueAsync(
          queue(LAUNCH_QUEUE, launchQueueName),
          queue(DISPATCH_QUEUE, dispatchQueueName),
          queue(CONTROL_QUEUE, controlQueueName),
          queue(NOTIFICATION_QUEUE, notificationQueueName)),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: REDIS, useFactory: () => createRedis(config) },
        {
          provide: STATUS_STORE,
          inject: [REDIS],
          // Every status write records its event; what is owed to a webhook only when one is configured.
          useFactory: (redis: RedisClient) =>
            new RedisStatusStore(redis, config.component.name, { streamMaxLen: config.notifications.streamMaxLen, notify: config.notifications.webhook !== undefined }),
        },
        { provide: NOTIFICATION_OUTBOX, inject: [REDIS], useFactory: (redis: RedisClient) => new RedisNotificationOutbox(redis, config.component.name) },
        BullMqNotificationQueue,
        useCase(NotificationComposer, [STATUS_STORE], (store: StatusStore) => new NotificationComposer(store, config.component.batchStatusRules)),
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
        useCase(InDoubtAccepts, [STATUS_STORE], (store: StatusStore) => new InDoubtAccepts(store)),
        useCase(
          JobAcceptor,
          [STATUS_STORE, WORK_QUEUE, CLOCK, InDoubtAccepts],
          (store: StatusStore, queue: WorkQueue, clock: Clock, inDoubt: InDoubtAccepts) =>
            new JobAcceptor(
              config.component,
              store,
              queue,
              clock,
              undefined,
              (error) => logger.warn({ err: error }, 'accepted jobs could not be queued yet; recovery will queue them'),
              inDoubt,
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
          (store: StatusStore, runtime: JobRuntime, recorder: ObservationRecorder, clock: Clock) =>
            new JobLauncher(store, runtime, recorder, clock, config.maxActiveJobs),
        ),
        useCase(
          JobController,
          [STATUS_STORE, JOB_RUNTIME, ObservationRecorder, CLOCK],
          (store: StatusStore, runtime: JobRuntime, recorder: ObservationRecorder, clock: Clock) => new JobController(store, runtime, recorder, clock),
        ),
        useCase(Recovery, [STATUS_STORE, WORK_QUEUE], (store: StatusStore, queue: WorkQueue) => new Recovery(store, queue)),
        useCase(DispatchExpansion, [STATUS_STORE, WORK_QUEUE], (store: StatusStore, queue: WorkQueue) => new DispatchExpansion(store, queue)),
        useCase(
          VanishedJobReconciler,
          [STATUS_STORE, JOB_RUNTIME, ObservationRecorder, CLOCK],
          (store: StatusStore, runtime: JobRuntime, recorder: ObservationRecorder, clock: Clock) =>
            new VanishedJobReconciler(store, runtime, recorder, clock),
        ),
      ],
      exports: [NOTIFICATION_OUTBOX, BullMqNotificationQueue, NotificationComposer, APP_CONFIG, LOGGER, CLOCK, REDIS, STATUS_STORE, WORK_QUEUE, JOB_RUNTIME, JOB_LOGS, ObservationRecorder, JobQueries, JobLogReader, InDoubtAccepts, JobAcceptor, JobStopper, JobRestarter, JobCopier, JobRemover, JobLauncher, JobController, Recovery, DispatchExpansion, VanishedJobReconciler],
    };
  }

  onModuleInit(): void {
    this.queue.onError((error) => this.logger.warn({ err: error.message }, 'work queue connection error'));
    void this.warnOfLegacyKeyLayout();
  }

  /** Records and queued work under the old key names are invisible to this version until moved. */
  private async warnOfLegacyKeyLayout(): Promise<void> {
    try {
      if (this.redis.status !== 'ready') await new Promise((resolve) => this.redis.once('ready', resolve));
      if (await legacyLayoutPresent(this.redis, this.config.component.name)) {
        this.logger.error(
          { component: this.config.component.name },
          'Redis holds this component\'s jobs under the key layout before hash tags, which this version does not read: stop the scheduler and run npm run migrate:redis-keys (README: Redis Cluster and the key layout)',
        );
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not check Redis for keys of the old layout');
    }
  }

  /** Accepted jobs whose hand-off to the workers is on its way go before Nest closes the queues. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.acceptor.drain();
  }

  /** Closes last, after the role modules stopped their workers and watchers (Nest closes the queues). */
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close().catch(() => undefined);
    await closeRedis(this.redis);
  }
}

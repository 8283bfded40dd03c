import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { type AppConfig, loadConfig } from '@rjs/config';
import { JobAcceptor, JobQueries, JobRemover, type JobRuntime, JobStopper, type StatusStore } from '@rjs/core';
import { InfrastructureModule, type InfrastructureOverrides } from '../../apps/scheduler/src/infrastructure.module';
import type { DestinationStream } from 'pino';
import { createLogger, JOB_RUNTIME, type Logger, STATUS_STORE } from '@rjs/platform';
import { ControlProcessor } from '../../apps/worker/src/control.processor';
import { LaunchProcessor } from '../../apps/worker/src/launch.processor';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import type { WorkerOptions } from '../../apps/worker/src/worker-options';
import { JOB_PROGRAM } from '../runtime-contract/job-builder';
import { ComponentQueues, quietLogger, redisConnected } from '../support/app-fixture';
import { writeRadixConfig } from '../support/radixconfig';

/**
 * A radixconfig.yaml whose job component `compute` runs the test job program with this Node, so
 * that requests choose its behaviour through variables.
 */
export function writeJobProgramConfig(dir: string, extra = ''): string {
  return writeRadixConfig(dir, 'worker-tests', {
    command: [process.execPath, JOB_PROGRAM],
    timeLimitSeconds: 300,
    variables: { FROM_COMPONENT: 'component' },
    extra: `      resources:\n        requests:\n          cpu: 50m\n${extra}`,
  });
}

@Module({})
class WorkerTestApp {
  static forRoot(config: AppConfig, logger: Logger, overrides: InfrastructureOverrides, options: Partial<WorkerOptions>): DynamicModule {
    return { module: WorkerTestApp, imports: [InfrastructureModule.forRoot(config, logger, overrides), WorkerModule.forRoot(config, options)] };
  }
}

export interface WorkerHarness {
  context: INestApplicationContext;
  config: AppConfig;
  store: StatusStore;
  runtime: JobRuntime;
  acceptor: JobAcceptor;
  stopper: JobStopper;
  remover: JobRemover;
  queries: JobQueries;
  readonly launchQueue: Queue;
  readonly controlQueue: Queue;
  close(): Promise<void>;
}

export interface WorkerSetup {
  redisUrl: string;
  /** Points the worker elsewhere than redisUrl: e.g. REDIS_CLUSTER_NODES for a Redis Cluster. */
  redisEnv?: Record<string, string>;
  radixConfig: string;
  workDir: string;
  env?: Record<string, string>;
  options?: Partial<WorkerOptions>;
  overrides?: InfrastructureOverrides;
  /** Where log lines from warn up go (JSON); none are kept without it. */
  logs?: DestinationStream;
}

/**
 * Stops the app's BullMQ workers without waiting for the work in hand, as if the process had died:
 * another worker takes that work over once its lock expires.
 */
export async function killQueueWorkers(app: INestApplicationContext): Promise<void> {
  await Promise.all([app.get(LaunchProcessor).close(true), app.get(ControlProcessor).close(true)]);
}

/** The worker role (no API), on real Redis, with the local runtime built from the configuration. */
export async function startWorker(setup: WorkerSetup): Promise<WorkerHarness> {
  const config = loadConfig({
    RADIX_CONFIG: setup.radixConfig,
    ...(setup.redisEnv ?? { REDIS_URL: setup.redisUrl }),
    ROLES: 'worker',
    JOB_RUNTIME: 'local',
    LOCAL_WORK_DIR: setup.workDir,
    LOCAL_MAX_RUNNING: '4',
    LOCAL_STOP_GRACE_SECONDS: '2',
    LOG_FORMAT: 'json',
    ...setup.env,
  });
  const logger = setup.logs ? createLogger({ log: { level: 'warn', format: 'json' } }, setup.logs) : quietLogger(config);
  const context = await NestFactory.createApplicationContext(
    WorkerTestApp.forRoot(config, logger, setup.overrides ?? {}, {
      outboxRecoveryIntervalMs: 200,
      dispatchGraceMs: 300,
      stopRecoveryIntervalMs: 500,
      reconcileIntervalMs: 500,
      ...setup.options,
    }),
    { logger: false },
  );
  await redisConnected(context);
  const queues = ComponentQueues.of(config, null);
  let closed = false;
  return {
    context,
    config,
    store: context.get<StatusStore>(STATUS_STORE),
    runtime: context.get<JobRuntime>(JOB_RUNTIME),
    acceptor: context.get(JobAcceptor),
    stopper: context.get(JobStopper),
    remover: context.get(JobRemover),
    queries: context.get(JobQueries),
    get launchQueue() {
      return queues.launchQueue;
    },
    get controlQueue() {
      return queues.controlQueue;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queues.close();
      await context.close();
    },
  };
}

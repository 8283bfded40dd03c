import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@rjs/config';
import { answerClientError, answerFrameworkError } from '../../api/src/api-exception.filter';
import { configureHttp } from '../../api/src/configure-http';
import type { WorkerOptions } from '../../worker/src/worker-options';
import { AppModule } from './app.module';
import type { InfrastructureOverrides } from './infrastructure.module';
import { createLogger, type Logger, PinoNestLogger } from '@rjs/platform';

export interface SchedulerOptions extends InfrastructureOverrides {
  logger?: Logger;
  /** Timings of the worker and watcher roles (tests shorten them). */
  workerOptions?: Partial<WorkerOptions>;
}

/** Builds the application for the configured roles; the caller listens (main) or injects (tests). */
export async function createScheduler(config: AppConfig, options: SchedulerOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config);
  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBodyBytes,
    // Past Fastify's default of 100 a long name got a bare 414; Node's 16 KiB header limit bounds URLs anyway.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Errors raised before a route runs get the same Status body as all others.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, options, options.workerOptions), adapter, {
    logger: new PinoNestLogger(logger),
  });
  app.enableShutdownHooks();
  configureHttp(app, config);
  return app;
}

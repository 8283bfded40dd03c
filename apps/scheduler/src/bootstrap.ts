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
    // Against slow and idle clients (slow-loris): headers within headersTimeout, the whole request
    // within requestTimeout, and nothing moving for idleTimeout (connectionTimeout) closes the socket.
    // Node checks the first two every connectionsCheckingInterval (30 s by default: too coarse for short timeouts).
    connectionTimeout: config.http.idleTimeoutMs,
    // Node sets a kept-alive socket's timeout to this between requests, instead of the one above.
    keepAliveTimeout: Math.min(72_000, config.http.idleTimeoutMs),
    requestTimeout: config.http.requestTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, config.http.headersTimeoutMs / 4)),
    },
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
  // Past it the server closes new connections at once, so a flood cannot take the file descriptors
  // and event-loop time that the worker and watcher roles of the same process need.
  app.getHttpServer().maxConnections = config.http.maxConnections;
  configureHttp(app, config);
  return app;
}

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '@rjs/config';
import { BullMqNotificationQueue, type BullMqWorkQueue } from '@rjs/queue';
import type { Logger } from '@rjs/platform';
import { APP_CONFIG, LOGGER, WORK_QUEUE } from '@rjs/platform';
import type * as BullBoardFile from './bull-board';
import { observeHttp } from './http-observability';
import { Metrics } from '@rjs/platform';

/** Installs the Fastify-level parts: request hooks first, so that Bull Board's routes inherit them. */
@Injectable()
export class OpsHttp implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WORK_QUEUE) private readonly queue: BullMqWorkQueue,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly notifications: BullMqNotificationQueue,
  ) {}

  onModuleInit(): void {
    // Absent in a testing module that never builds an HTTP app.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    // An access log line holds method, URL, route, address, status and time, never a field the
    // redaction paths name (payload, variables...); checking them cost some 10 µs a request,
    // about a tenth of accepting a job (benchmark 1), so these lines skip it.
    observeHttp(fastify, this.metrics, this.logger.child({}, { redact: [] }));
    // The board is for the processes that handle queues (api, worker); a watcher alone never
    // touches one, and loading the board and its static file server cost it some 10 MB (9b).
    if (!this.config.roles.some((role) => role === 'api' || role === 'worker')) return;
    const { bullBoardOptions, mountBullBoard } = require('./bull-board') as typeof BullBoardFile;
    mountBullBoard(fastify, bullBoardOptions(this.config, [...this.queue.queues, this.notifications.queue]));
  }
}

import { Module } from '@nestjs/common';
import type { AppConfig } from '@rjs/config';
import { ConsoleQueries, type StatusStore } from '@rjs/core';
import { APP_CONFIG, STATUS_STORE } from '@rjs/platform';
import { BatchesController } from './batches.controller';
import { ConsoleController } from './console/console.controller';
import { ConsoleHttp } from './console/console-http';
import { EventStreamHub } from './events/event-stream-hub';
import { EventsController } from './events/events.controller';
import { InDoubtWithdrawal } from './in-doubt-withdrawal';
import { JobsController } from './jobs.controller';
import { ListResponder } from './lists/list-responder';
import { LogsController } from './logs.controller';
import { QueueController } from './queue.controller';
import { RestartCopyController } from './restart-copy.controller';
import { StoreRoomReadiness } from './store-room.readiness';

/**
 * The HTTP API role. The use cases come from the global InfrastructureModule; the exception filter,
 * body parsing and the OpenAPI document are set up by configureHttp. The job console (/console)
 * comes with it.
 */
@Module({
  controllers: [JobsController, BatchesController, RestartCopyController, LogsController, ConsoleController, EventsController, QueueController],
  providers: [
    ListResponder,
    StoreRoomReadiness,
    ConsoleHttp,
    EventStreamHub,
    InDoubtWithdrawal,
    {
      provide: ConsoleQueries,
      inject: [STATUS_STORE, APP_CONFIG],
      useFactory: (store: StatusStore, config: AppConfig) => new ConsoleQueries(store, config.component.batchStatusRules),
    },
  ],
})
export class ApiModule {}

import { Module } from '@nestjs/common';
import { BatchesController } from './batches.controller';
import { JobsController } from './jobs.controller';
import { ListResponder } from './lists/list-responder';
import { LogsController } from './logs.controller';
import { RestartCopyController } from './restart-copy.controller';
import { StoreRoomReadiness } from './store-room.readiness';

/**
 * The HTTP API role. The use cases come from the global InfrastructureModule; the exception filter,
 * body parsing and the OpenAPI document are set up by configureHttp.
 */
@Module({ controllers: [JobsController, BatchesController, RestartCopyController, LogsController], providers: [ListResponder, StoreRoomReadiness] })
export class ApiModule {}

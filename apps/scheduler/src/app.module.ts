import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@rjs/config';
import { ApiModule } from '../../api/src/api.module';
import { WatcherModule } from '../../worker/src/watcher.module';
import { WorkerModule } from '../../worker/src/worker.module';
import type { WorkerOptions } from '../../worker/src/worker-options';
import { InfrastructureModule, type InfrastructureOverrides } from './infrastructure.module';
import type { Logger } from '@rjs/platform';
import { OpsModule } from './ops';

/** One process, the roles that ROLES names: api, worker, watcher. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger, overrides?: InfrastructureOverrides, workerOptions?: Partial<WorkerOptions>): DynamicModule {
    const roles = new Set(config.roles);
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forRoot(config, logger, overrides),
        OpsModule,
        ...(roles.has('api') ? [ApiModule] : []),
        ...(roles.has('worker') ? [WorkerModule.forRoot(config, workerOptions)] : []),
        ...(roles.has('watcher') ? [WatcherModule.forRoot(workerOptions)] : []),
      ],
    };
  }
}

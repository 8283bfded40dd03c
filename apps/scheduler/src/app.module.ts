import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@rjs/config';
import type * as ApiModuleFile from '../../api/src/api.module';
import type * as WatcherModuleFile from '../../worker/src/watcher.module';
import type * as WorkerModuleFile from '../../worker/src/worker.module';
import type { WorkerOptions } from '../../worker/src/worker-options';
import { InfrastructureModule, type InfrastructureOverrides } from './infrastructure.module';
import type { Logger } from '@rjs/platform';
import { OpsModule } from './ops';

/**
 * One process, the roles that ROLES names: api, worker, watcher. A role's module is required only
 * when the process has the role (relative requires, so the build rewrites no alias): a watcher alone
 * never loads the API's controllers, DTOs and console, nor the worker's processors (benchmark 9b).
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger, overrides?: InfrastructureOverrides, workerOptions?: Partial<WorkerOptions>): DynamicModule {
    const roles = new Set(config.roles);
    const roleModules: DynamicModule['imports'] = [];
    if (roles.has('api')) roleModules.push((require('../../api/src/api.module') as typeof ApiModuleFile).ApiModule);
    if (roles.has('worker')) roleModules.push((require('../../worker/src/worker.module') as typeof WorkerModuleFile).WorkerModule.forRoot(config, workerOptions));
    if (roles.has('watcher')) roleModules.push((require('../../worker/src/watcher.module') as typeof WatcherModuleFile).WatcherModule.forRoot(workerOptions));
    return {
      module: AppModule,
      imports: [InfrastructureModule.forRoot(config, logger, overrides), OpsModule, ...roleModules],
    };
  }
}

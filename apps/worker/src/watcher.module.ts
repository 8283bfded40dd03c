import { type BeforeApplicationShutdown, type DynamicModule, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { RedisClient } from '@rjs/store';
import type { Logger } from 'pino';
import type { JobRuntime } from '@rjs/core';
import { JOB_RUNTIME, LOGGER, REDIS } from '@rjs/platform';
import { redisReady } from './redis-ready';
import { RuntimeObserver } from './runtime-observer';
import { DEFAULT_WORKER_OPTIONS, WORKER_OPTIONS, type WorkerOptions, workerOptions } from './worker-options';

/**
 * The watcher role: follows the Kubernetes runtime and records what it observes, and gives a final
 * status to jobs whose Kubernetes Job vanished. With the local runtime the worker role does this
 * (the processes are its children), so the watcher has nothing to do.
 */
@Module({
  providers: [{ provide: WORKER_OPTIONS, useValue: DEFAULT_WORKER_OPTIONS }, RuntimeObserver],
  exports: [RuntimeObserver],
})
export class WatcherModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private starting?: Promise<void>;

  constructor(
    @Inject(JOB_RUNTIME) private readonly runtime: JobRuntime,
    private readonly observer: RuntimeObserver,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(options: Partial<WorkerOptions> = {}): DynamicModule {
    return { module: WatcherModule, providers: [{ provide: WORKER_OPTIONS, useValue: workerOptions(options) }] };
  }

  onApplicationBootstrap(): void {
    if (this.runtime.kind !== 'kubernetes') {
      this.logger.info({ runtime: this.runtime.kind }, 'watcher idle: the worker observes the local runtime');
      return;
    }
    // In the background: the API may serve while the Kubernetes API server is still out of reach.
    this.starting = redisReady(this.redis, 10_000)
      .then(() => this.observer.start({ retry: true }))
      .catch((error) => this.logger.error({ err: error }, 'the watcher stopped'));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.observer.stop();
    await this.starting;
  }
}

import type { AppConfig } from '@rjs/config';
import type { JobRuntime } from '@rjs/core';
import type { Logger } from './logging';

/** Builds the runtime JOB_RUNTIME selects, from the validated configuration. */
export function createRuntime(config: AppConfig, logger: Logger): JobRuntime {
  void logger;
  throw new Error(`the ${config.runtime} runtime is not wired yet`);
}

import type { AppConfig } from '@rjs/config';
import type { JobRuntime } from '@rjs/core';
import { LocalJobRuntime } from '@rjs/runtime';
import type { Logger } from './logging';

/** Builds the runtime JOB_RUNTIME selects, from the validated configuration. */
export function createRuntime(config: AppConfig, logger: Logger): JobRuntime {
  switch (config.runtime) {
    case 'local':
      // Job processes run in the directory the scheduler was started from (`node examples/job/main.js`
      // in radixconfig.yaml is relative to it); resources, nodeType and image have no local meaning.
      return new LocalJobRuntime({
        workDir: config.local.workDir,
        maxRunning: config.local.maxRunning,
        stopGraceSeconds: config.local.stopGraceSeconds,
        cwd: process.cwd(),
        logger: logger.child({ runtime: 'local' }),
      });
    case 'kubernetes':
      // Wired by the Kubernetes adapter's owner.
      throw new Error('the kubernetes runtime is not wired yet');
  }
}

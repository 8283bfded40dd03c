import { readFileSync } from 'node:fs';
import type { AppConfig } from '@rjs/config';
import type { JobRuntime } from '@rjs/core';
import { KubernetesJobRuntime, LocalJobRuntime, parseNodeTypeMapping } from '@rjs/runtime';
import type { Logger } from './logging';

/** Configuration problems only the runtime can see (read once at start, with the rest of the config). */
export function runtimeConfigProblems(config: AppConfig): string[] {
  const path = config.kubernetes.nodeTypesFile;
  if (config.runtime !== 'kubernetes' || !path) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return [`KUBE_NODE_TYPES_FILE: cannot read ${path}: ${(error as Error).message}`];
  }
  return parseNodeTypeMapping(text).problems.map((problem) => `KUBE_NODE_TYPES_FILE (${path}): ${problem}`);
}

export interface RuntimeHooks {
  /** A Kubernetes API call failed, with this HTTP status or network error code. */
  onKubernetesApiError?: (code: string) => void;
}

/** Builds the runtime JOB_RUNTIME selects, from the validated configuration. */
export function createRuntime(config: AppConfig, logger: Logger, hooks: RuntimeHooks = {}): JobRuntime {
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
    case 'kubernetes': {
      const path = config.kubernetes.nodeTypesFile;
      // In-cluster service account, else KUBECONFIG or ~/.kube/config.
      return new KubernetesJobRuntime({
        component: config.component.name,
        namespace: config.kubernetes.namespace,
        ttlSecondsAfterFinished: config.kubernetes.ttlSecondsAfterFinished,
        qps: config.kubernetes.qps,
        burst: config.kubernetes.burst,
        nodeTypes: path ? parseNodeTypeMapping(readFileSync(path, 'utf8')).mapping : undefined,
        logger: logger.child({ runtime: 'kubernetes' }),
        onApiError: hooks.onKubernetesApiError,
      });
    }
  }
}

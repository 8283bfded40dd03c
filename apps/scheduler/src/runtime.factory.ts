import { readFileSync } from 'node:fs';
import type { AppConfig } from '@rjs/config';
import type { JobLogs, JobRuntime } from '@rjs/core';
import type * as RuntimeAdapters from './runtime-adapters';
import type { Logger } from '@rjs/platform';

/**
 * The runtime adapters, loaded on first use rather than at start: @rjs/runtime brings the
 * Kubernetes client (@kubernetes/client-node), some 70 MB of memory that a process with the role
 * api alone, which never reaches a runtime, should not carry.
 */
function adapters(): typeof RuntimeAdapters {
  return require('./runtime-adapters') as typeof RuntimeAdapters;
}

/** What a process with the role api alone gets: it records and queues jobs, and never runs one. */
function apiOnlyRuntime(kind: JobRuntime['kind']): JobRuntime {
  const refuse = (what: string) => () => Promise.reject(new Error(`${what}: a process with the role api alone does not run jobs`));
  return { kind, start: refuse('start'), launch: refuse('launch'), stop: refuse('stop'), remove: refuse('remove'), has: refuse('has'), close: () => Promise.resolve() };
}

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
  return adapters().parseNodeTypeMapping(text).problems.map((problem) => `KUBE_NODE_TYPES_FILE (${path}): ${problem}`);
}

export interface RuntimeHooks {
  /** A Kubernetes API call failed, with this HTTP status or network error code. */
  onKubernetesApiError?: (code: string) => void;
}

/** Builds the runtime JOB_RUNTIME selects, from the validated configuration. */
export function createRuntime(config: AppConfig, logger: Logger, hooks: RuntimeHooks = {}): JobRuntime {
  if (config.roles.every((role) => role === 'api')) return apiOnlyRuntime(config.runtime);
  const { KubernetesJobRuntime, LocalJobRuntime, parseNodeTypeMapping } = adapters();
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
        // The component's own architecture places the jobs that name none (Radix: amd64).
        defaultArchitecture: config.component.runtime?.architecture,
        podSecurity: config.kubernetes.jobPodSecurity,
        logger: logger.child({ runtime: 'kubernetes' }),
        onApiError: hooks.onKubernetesApiError,
      });
    }
  }
}

/**
 * Builds the reader of job logs for JOB_RUNTIME. Every role gets one (the api role alone serves
 * logs too): the local one needs only LOCAL_WORK_DIR, the Kubernetes one a client allowed
 * `pods/log` get. The adapter is loaded on the first logs request, like the runtime itself.
 */
export function createJobLogs(config: AppConfig, hooks: RuntimeHooks = {}): JobLogs {
  let logs: JobLogs | undefined;
  const make = (): JobLogs => {
    const { KubernetesJobLogs, LocalJobLogs } = adapters();
    switch (config.runtime) {
      case 'local':
        return new LocalJobLogs({ workDir: config.local.workDir });
      case 'kubernetes':
        return new KubernetesJobLogs({
          component: config.component.name,
          namespace: config.kubernetes.namespace,
          qps: config.kubernetes.qps,
          burst: config.kubernetes.burst,
          onApiError: hooks.onKubernetesApiError,
        });
    }
  };
  return { open: (attempt, options) => (logs ??= make()).open(attempt, options) };
}

import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { type AttemptRef, DomainError, ErrorCode, type JobLogs, type LogReadOptions, RuntimeUnavailableError } from '@rjs/core';
import { describeError, isTransient, messageOf, statusCodeOf } from './api-errors';
import { containerName } from './job-manifest';
import { defaultNamespace, KubernetesApi, loadDefaultKubeConfig } from './kubernetes-api';
import { apiServerLimiter, type TokenBucket } from './token-bucket';

export interface KubernetesJobLogsOptions {
  /** The job component: its pods' container is named after it. */
  component: string;
  /** Defaults to KubeConfig.loadFromDefault(): KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeConfig?: KubeConfig;
  /** Defaults to the kubeconfig context's namespace (in-cluster: the pod's own), else `default`. */
  namespace?: string;
  /** Client-side rate limit of log requests (a bucket of their own). */
  qps?: number;
  burst?: number;
  /** How long to wait for the API server's answer (not for the stream that follows). Default 30 s. */
  requestTimeoutMs?: number;
  /** Told of every failed API call, by HTTP status or network error code: for metrics. */
  onApiError?: (code: string) => void;
}

/**
 * The JobLogs port on Kubernetes: the log of the attempt's pod, streamed from the API server
 * (`pods/log` get). Needs no informer and no JobRuntime, so a process with the role api alone
 * serves logs too. With `follow` the API server ends the stream when the container ends.
 */
export class KubernetesJobLogs implements JobLogs {
  private readonly api: KubernetesApi;
  private readonly limiter: TokenBucket;
  private readonly container: string;

  constructor(options: KubernetesJobLogsOptions) {
    const kubeConfig = options.kubeConfig ?? loadDefaultKubeConfig();
    this.limiter = apiServerLimiter(options);
    this.api = new KubernetesApi(kubeConfig, options.namespace || defaultNamespace(kubeConfig), this.limiter, options.requestTimeoutMs ?? 30_000, options.onApiError);
    this.container = containerName(options.component);
  }

  async open({ jobName, attempt, podName }: AttemptRef, { tailLines, follow }: LogReadOptions): Promise<IncomingMessage> {
    try {
      return await this.api.podLog(podName, { container: this.container, tailLines, follow });
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404) {
        throw new DomainError(
          ErrorCode.NotFound,
          `the logs of attempt ${attempt} of job ${jobName} went with its pod ${podName}, which is gone from Kubernetes ` +
            '(the pods of a finished Job are removed with it after JOB_TTL_SECONDS_AFTER_FINISHED; a stopped or deleted job\'s at once)',
        );
      }
      // The kubelet's answer for a container that has not run: "... is waiting to start: ContainerCreating".
      if (status === 400) throw new DomainError(ErrorCode.NotFound, `attempt ${attempt} of job ${jobName} has no logs yet: ${messageOf(error)}`);
      if (status === undefined || isTransient(error)) {
        throw new RuntimeUnavailableError(`Kubernetes API unavailable (${describeError(error)})`);
      }
      throw error;
    }
  }

  close(): void {
    this.limiter.close();
  }
}

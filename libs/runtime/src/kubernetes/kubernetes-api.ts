import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import {
  ApiException,
  BatchV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  Observable,
  type ObservableMiddleware,
  type V1Job,
  type V1Pod,
  type V1Secret,
  Watch,
} from '@kubernetes/client-node';
import { statusCodeOf } from './api-errors';
import type { TokenBucket } from './token-bucket';

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

export interface WatchHandle {
  abort(): void;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export type WatchCallback = (type: WatchEventType, object: KubernetesObject & { code?: number; message?: string }) => void;

export type WatchedResource = 'jobs' | 'pods';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** The namespace to use: the configured one, else the kubeconfig context's (in-cluster: the pod's own). */
export function defaultNamespace(kubeConfig: KubeConfig): string {
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || 'default';
}

/** KUBECONFIG, ~/.kube/config, or in-cluster (the pod's service account). */
export function loadDefaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

const PAGE_SIZE = 500;

/**
 * The few Kubernetes API calls the runtime makes, in one namespace. Every call, the opening of a
 * watch included, first takes a token from the shared rate limiter; every plain request has a
 * timeout (the client sets none). Errors are the client's own (ApiException with `code`, or a
 * network error); the runtime decides what they mean.
 */
export class KubernetesApi {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;
  private readonly callOptions: ConfigurationOptions;

  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    private readonly limiter: TokenBucket,
    private readonly requestTimeoutMs: number,
    private readonly onError: (code: string) => void = () => undefined,
  ) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kubeConfig);
    // Per-call middleware that aborts a request that hangs (the client sets no timeout).
    const timeout: ObservableMiddleware = {
      pre: (context) => {
        context.setSignal(AbortSignal.timeout(requestTimeoutMs));
        return new Observable(Promise.resolve(context));
      },
      post: (response) => new Observable(Promise.resolve(response)),
    };
    this.callOptions = { middleware: [timeout], middlewareMergeStrategy: 'append' };
  }

  /** `expected` errors are answers the caller handles (not counted as API errors). */
  private async limited<T>(call: () => Promise<T>, expected: (error: unknown) => boolean = () => false): Promise<T> {
    await this.limiter.acquire();
    try {
      return await call();
    } catch (error) {
      if (!expected(error)) this.onError(errorCode(error));
      throw error;
    }
  }

  private get options(): ConfigurationOptions {
    return this.callOptions;
  }

  createJob(body: V1Job): Promise<V1Job> {
    return this.limited(() => this.batch.createNamespacedJob({ namespace: this.namespace, body }, this.options));
  }

  /** The Job, or undefined when there is none. */
  readJob(name: string): Promise<V1Job | undefined> {
    return this.limited(() => orUndefinedOn404(this.batch.readNamespacedJob({ name, namespace: this.namespace }, this.options)));
  }

  /** False when there was nothing to delete. */
  deleteJob(name: string, propagationPolicy: PropagationPolicy): Promise<boolean> {
    return this.limited(() =>
      deleted(this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy }, this.options)),
    );
  }

  createSecret(body: V1Secret): Promise<V1Secret> {
    return this.limited(() => this.core.createNamespacedSecret({ namespace: this.namespace, body }, this.options));
  }

  readSecret(name: string): Promise<V1Secret | undefined> {
    return this.limited(() => orUndefinedOn404(this.core.readNamespacedSecret({ name, namespace: this.namespace }, this.options)));
  }

  deleteSecret(name: string): Promise<boolean> {
    return this.limited(() => deleted(this.core.deleteNamespacedSecret({ name, namespace: this.namespace }, this.options)));
  }

  listJobs(labelSelector: string): Promise<ListResult<V1Job>> {
    return this.pages((cont) =>
      this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector, limit: PAGE_SIZE, _continue: cont }, this.options),
    );
  }

  listPods(labelSelector: string): Promise<ListResult<V1Pod>> {
    return this.pages((cont) =>
      this.core.listNamespacedPod({ namespace: this.namespace, labelSelector, limit: PAGE_SIZE, _continue: cont }, this.options),
    );
  }

  /** A paged list; the resourceVersion of the last page is where a watch continues. */
  private async pages<T>(page: (cont?: string) => Promise<ListPage<T>>): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const list = await this.limited(() => page(cont));
      items.push(...list.items);
      resourceVersion = list.metadata?.resourceVersion ?? '';
      cont = list.metadata?._continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  /**
   * The log of a pod's container, as a stream of the answer's body (GET .../pods/{name}/log): with
   * `follow` the API server keeps it open until the container ends. The timeout covers the wait for
   * the answer only, not the stream. Not the client's Log class: it drops `tailLines=0`, discards
   * the Status body of an error, and does not end its output when the connection breaks.
   */
  podLog(name: string, options: { container: string; tailLines?: number; follow: boolean }): Promise<IncomingMessage> {
    return this.limited(async () => {
      const server = this.kubeConfig.getCurrentCluster()?.server;
      if (!server) throw new Error('the kubeconfig names no current cluster');
      const url = new URL(`${server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(name)}/log`);
      url.searchParams.set('container', options.container);
      if (options.follow) url.searchParams.set('follow', 'true');
      if (options.tailLines !== undefined) url.searchParams.set('tailLines', String(options.tailLines));
      // Credentials, CA, proxy agent: as the client's own requests get them.
      const requestOptions: RequestOptions = { method: 'GET', headers: {} };
      await this.kubeConfig.applyToHTTPSOptions(requestOptions);
      return openStream(url, requestOptions, this.requestTimeoutMs);
      // No pod (404), or its container has no log yet (400): answers about the pod, not failures.
    }, (error) => statusCodeOf(error) === 404 || statusCodeOf(error) === 400);
  }

  /**
   * Opens a watch from `resourceVersion`. `onDone` is called once, with an error or with nothing
   * when the stream ended; abort() ends it (onDone then sees an AbortError).
   */
  async watch(
    resource: WatchedResource,
    params: { labelSelector: string; resourceVersion: string; timeoutSeconds: number },
    onEvent: WatchCallback,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    await this.limiter.acquire();
    const path = resource === 'jobs' ? `/apis/batch/v1/namespaces/${this.namespace}/jobs` : `/api/v1/namespaces/${this.namespace}/pods`;
    const query = { ...params, allowWatchBookmarks: true };
    const controller = await this.watcher.watch(path, query, (type, object) => onEvent(type as WatchEventType, object), onDone);
    return { abort: () => controller.abort() };
  }
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** A GET whose 200 (or 204) answer is handed over as a stream; any other answer becomes an ApiException with its Status body. */
function openStream(url: URL, options: RequestOptions, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      clearTimeout(timer);
      // 204: the pod is on no node yet, so it has no log.
      if (response.statusCode === 200 || response.statusCode === 204) return resolve(response);
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (bytes < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
        bytes += chunk.length;
      });
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
        reject(new ApiException(response.statusCode ?? 0, response.statusMessage ?? '', body, response.headers as Record<string, string>));
      });
    });
    const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end();
  });
}

async function orUndefinedOn404<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
}

async function deleted(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (statusCodeOf(error) === 404) return false;
    throw error;
  }
}

/** An HTTP status ("409", "500"), a network error code ("ECONNREFUSED"), or the error's name. */
function errorCode(error: unknown): string {
  const status = statusCodeOf(error);
  if (status !== undefined) return String(status);
  const e = error as { code?: unknown; cause?: { code?: unknown }; name?: unknown } | null;
  const code = e?.code ?? e?.cause?.code ?? e?.name;
  return typeof code === 'string' ? code : 'unknown';
}

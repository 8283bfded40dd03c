import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type {
  BatchV1Api,
  ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  ObservableMiddleware,
  V1Job,
  V1Pod,
  V1Secret,
  Watch,
} from '@kubernetes/client-node';
import { statusCodeOf } from './api-errors';
import { apiExceptionClass, generatedClient, kubeConfigClass, watchClass } from './client-modules';
import type { CallPriority, TokenBucket } from './token-bucket';

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
  const kubeConfig = new (kubeConfigClass())();
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
  private readonly watcher: Watch;
  /** The generated clients, made on the first call that needs one (client-modules.ts: a watcher never does). */
  private generated: { batch: BatchV1Api; core: CoreV1Api; callOptions: Record<CallPriority, ConfigurationOptions> } | undefined;
  private readonly connections = new KeptAliveAgents();

  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    private readonly limiter: TokenBucket,
    private readonly requestTimeoutMs: number,
    private readonly onError: (code: string) => void = () => undefined,
  ) {
    this.watcher = new (watchClass())(kubeConfig);
  }

  private get clients(): NonNullable<KubernetesApi['generated']> {
    if (this.generated) return this.generated;
    const { BatchV1Api, CoreV1Api, Observable } = generatedClient();
    // The last step before the request is sent (after the client applied credentials): the token
    // is taken here, so the request leaves as soon as it has one, on a connection kept alive from
    // an earlier call (no connection set-up between the token and the request, which would let
    // requests let go apart reach the server closer together than the limit allows). The timeout
    // starts once the token is held (the client sets none): waiting for a token is not a hang.
    const lastStep = (priority: CallPriority): ObservableMiddleware => ({
      pre: (context) =>
        new Observable(
          (async () => {
            const agent = context.getAgent();
            if (agent) context.setAgent(this.connections.keptAlive(agent));
            await this.limiter.acquire(priority);
            context.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
            return context;
          })(),
        ),
      post: (response) => new Observable(Promise.resolve(response)),
    });
    return (this.generated = {
      batch: this.kubeConfig.makeApiClient(BatchV1Api),
      core: this.kubeConfig.makeApiClient(CoreV1Api),
      callOptions: {
        launch: { middleware: [lastStep('launch')], middlewareMergeStrategy: 'append' },
        housekeeping: { middleware: [lastStep('housekeeping')], middlewareMergeStrategy: 'append' },
      },
    });
  }

  /** Closes the connections kept alive. */
  close(): void {
    this.connections.destroy();
  }

  /**
   * Counts the call's failures. The token is taken by the middleware above, right before the
   * request leaves; `expected` errors are answers the caller handles (not counted as API errors).
   */
  private async limited<T>(call: () => Promise<T>, expected: (error: unknown) => boolean = () => false): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!expected(error)) this.onError(errorCode(error));
      throw error;
    }
  }

  private get options(): ConfigurationOptions {
    return this.clients.callOptions.launch;
  }

  private get batch(): BatchV1Api {
    return this.clients.batch;
  }

  private get core(): CoreV1Api {
    return this.clients.core;
  }

  createJob(body: V1Job): Promise<V1Job> {
    return this.limited(() => this.batch.createNamespacedJob({ namespace: this.namespace, body }, this.options));
  }

  /** The Job, or undefined when there is none. Housekeeping calls wait for the tokens launches leave. */
  readJob(name: string, priority: CallPriority = 'launch'): Promise<V1Job | undefined> {
    return this.limited(() =>
      orUndefinedOn404(this.batch.readNamespacedJob({ name, namespace: this.namespace }, this.clients.callOptions[priority])),
    );
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

  listJobs(labelSelector: string, transform: (job: V1Job) => V1Job = (job) => job): Promise<ListResult<V1Job>> {
    return this.pages((cont) => this.listPage<V1Job>(`/apis/batch/v1/namespaces/${encodeURIComponent(this.namespace)}/jobs`, labelSelector, cont), transform);
  }

  listPods(labelSelector: string, transform: (pod: V1Pod) => V1Pod = (pod) => pod): Promise<ListResult<V1Pod>> {
    return this.pages((cont) => this.listPage<V1Pod>(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`, labelSelector, cont), transform);
  }

  /**
   * One page of a list as plain JSON, as watch events arrive. Not the generated client's list call:
   * it turns every object of the page into its model classes (and every time into a Date) before
   * the transform keeps a few fields, some 3x the garbage per page (benchmark 9b).
   */
  private listPage<T>(path: string, labelSelector: string, cont: string | undefined): Promise<ListPage<T>> {
    return this.limited(async () => {
      await this.limiter.acquire('launch');
      const server = this.kubeConfig.getCurrentCluster()?.server;
      if (!server) throw new Error('the kubeconfig names no current cluster');
      const url = new URL(`${server.replace(/\/+$/, '')}${path}`);
      url.searchParams.set('labelSelector', labelSelector);
      url.searchParams.set('limit', String(PAGE_SIZE));
      if (cont) url.searchParams.set('continue', cont);
      const requestOptions: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
      await this.kubeConfig.applyToHTTPSOptions(requestOptions);
      const response = await openStream(url, requestOptions, this.requestTimeoutMs);
      // The whole page within the request timeout too (openStream's covers the headers only).
      const timer = setTimeout(() => response.destroy(Object.assign(new Error(`list page not read within ${this.requestTimeoutMs} ms`), { name: 'TimeoutError' })), this.requestTimeoutMs);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of response) chunks.push(chunk as Buffer);
      } finally {
        clearTimeout(timer);
      }
      const page = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
      return { items: page.items ?? [], metadata: { resourceVersion: page.metadata?.resourceVersion, _continue: page.metadata?.continue } };
    });
  }

  /**
   * A paged list; the resourceVersion of the last page is where a watch continues. Each page's
   * items are transformed as it arrives, so only one page of whole objects is held at a time.
   */
  private async pages<T>(page: (cont?: string) => Promise<ListPage<T>>, transform: (item: T) => T): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const list = await this.limited(() => page(cont));
      for (const item of list.items) items.push(transform(item));
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
      await this.limiter.acquire();
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

/**
 * One kept-alive agent in place of the fresh agent that @kubernetes/client-node 1.4 builds for
 * every request (KubeConfig.applySecurityAuthentication: a new http(s).Agent each call, so a new
 * TCP and TLS connection each call). Its TLS options are the fresh agent's, so the credentials,
 * CA and server name are as the client would use them; when they change (a rotated client
 * certificate from an exec plugin) a new agent takes over. Proxy agents are left as they are.
 */
class KeptAliveAgents {
  private current: HttpAgent | undefined;
  private readonly replaced: HttpAgent[] = [];

  keptAlive(fresh: HttpAgent): HttpAgent {
    if (!(fresh instanceof HttpAgent) || (fresh.constructor !== HttpAgent && fresh.constructor !== HttpsAgent)) return fresh;
    const options = (fresh as HttpAgent & { options: Record<string, unknown> }).options;
    const current = this.current as (HttpAgent & { options: Record<string, unknown> }) | undefined;
    if (current && current.constructor === fresh.constructor && TLS_OPTIONS.every((key) => sameOption(current.options[key], options[key]))) {
      return current;
    }
    if (current) this.replaced.push(current);
    const Agent = fresh.constructor as typeof HttpAgent;
    // Idle sockets do not keep the process alive (Node unrefs them); the server closes them when it likes.
    this.current = new Agent({ ...options, keepAlive: true } as ConstructorParameters<typeof HttpAgent>[0]);
    return this.current;
  }

  destroy(): void {
    for (const agent of [...this.replaced.splice(0), this.current]) agent?.destroy();
    this.current = undefined;
  }
}

const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function sameOption(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameOption(item, b[i]));
  return a === b;
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
        reject(new (apiExceptionClass())(response.statusCode ?? 0, response.statusMessage ?? '', body, response.headers as Record<string, string>));
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

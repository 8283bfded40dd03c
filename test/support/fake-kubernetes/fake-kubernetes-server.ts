import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { FakeJobController, type PropagationPolicy } from './fake-job-controller';
import { type FakeImage, FakeKubelet } from './fake-kubelet';
import { matches, parseSelector, type Requirement, SelectorError } from './label-selector';
import { AlreadyExistsError, ContinueExpiredError, InvalidContinueError, type KubeObject, type Kind, ObjectStore, type StoreEvent } from './object-store';
import { type Cause, validateJob, validatePod, validateSecret } from './validation';

export interface FakeKubernetesOptions {
  /** Working directory of the pods' processes. Default: the current directory. */
  workDir?: string;
  images?: Record<string, FakeImage>;
  /** Delay before a failed attempt is replaced. Default 50 ms. */
  podRetryDelayMs?: number;
  /** SIGTERM to SIGKILL. Default 2 s. */
  terminationGraceMs?: number;
  canSchedule?: (pod: KubeObject) => boolean;
  /** Changes a watch resumes from before they are "410 Gone". Default 10,000. */
  historyLimit?: number;
}

type Resource = 'jobs' | 'pods' | 'secrets';
type Verb = 'create' | 'get' | 'list' | 'watch' | 'delete' | 'log';

export interface RequestRecord {
  method: string;
  verb: Verb | 'unknown';
  resource?: Resource;
  namespace?: string;
  name?: string;
  /** Milliseconds (Date.now()) when the request arrived. */
  at: number;
  status: number;
}

interface Route {
  resource: Resource;
  namespace: string;
  name?: string;
  subresource?: string;
}

interface InjectedFailure {
  remaining: number;
  status: number;
  retryAfterSeconds?: number;
  match: (request: { method: string; verb: Verb; resource: Resource }) => boolean;
}

interface OpenWatch {
  response: ServerResponse;
  close(): void;
}

const RESOURCES: Record<Resource, { kind: Kind; group: string; apiPrefix: string }> = {
  jobs: { kind: 'Job', group: 'batch', apiPrefix: '/apis/batch/v1' },
  pods: { kind: 'Pod', group: '', apiPrefix: '/api/v1' },
  secrets: { kind: 'Secret', group: '', apiPrefix: '/api/v1' },
};

const ROUTE = /^(?:\/apis\/batch\/v1|\/api\/v1)\/namespaces\/([^/]+)\/(jobs|pods|secrets)(?:\/([^/]+))?(?:\/([^/]+))?$/;

/** A failure as the API server answers it: `metadata` is empty, `details` only where it has some. */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>): KubeObject {
  const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details && { details }), code };
  return body as unknown as KubeObject;
}

/**
 * A Kubernetes API server for tests, speaking the REST and watch protocol for batch/v1 Jobs and
 * v1 Pods and Secrets in namespaces, with a Job controller and a kubelet that run pods as real
 * processes. Hooks let a test inject faults: failing calls, latency, cut or quietly ended watch
 * streams, expired resourceVersions (410 Gone), refused connections.
 */
export class FakeKubernetesServer {
  readonly store: ObjectStore;
  readonly kubelet: FakeKubelet;
  readonly controller: FakeJobController;
  readonly requests: RequestRecord[] = [];
  /** Added before every response. */
  latencyMs = 0;
  /** How an expired resourceVersion is reported: an ERROR event in a 200 stream (as the API server does) or HTTP 410. */
  goneMode: 'event' | 'http' = 'event';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<OpenWatch>();
  private readonly logStreams = new Set<ServerResponse>();
  private readonly failures: InjectedFailure[] = [];
  private port = 0;

  private constructor(options: FakeKubernetesOptions) {
    this.store = new ObjectStore(options.historyLimit);
    this.kubelet = new FakeKubelet({
      store: this.store,
      workDir: options.workDir ?? process.cwd(),
      volumeRoot: mkdtempSync(join(tmpdir(), 'fake-kubelet-')),
      images: options.images ?? {},
      terminationGraceMs: options.terminationGraceMs ?? 2000,
      canSchedule: options.canSchedule ?? (() => true),
    });
    this.controller = new FakeJobController({ store: this.store, kubelet: this.kubelet, podRetryDelayMs: options.podRetryDelayMs ?? 50 });
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeKubernetesOptions = {}): Promise<FakeKubernetesServer> {
    const server = new FakeKubernetesServer(options);
    await server.listen(0);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** A KubeConfig for this server (http, token auth), with `namespace` as the context's namespace. */
  kubeConfig(namespace = 'default'): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace }],
      currentContext: 'fake',
    });
    return kubeConfig;
  }

  /** The same as a kubeconfig file's YAML (JSON is YAML), for KUBECONFIG. */
  kubeconfigFile(namespace = 'default'): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token: 'fake-token' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace } }],
      'current-context': 'fake',
    });
  }

  // ---- fault injection ----

  /** The next `count` matching requests fail with `status` (500, 429...) and a Status body. */
  failNext(count: number, status: number, match: Partial<{ method: string; verb: Verb; resource: Resource }> = {}, retryAfterSeconds?: number): void {
    this.failures.push({
      remaining: count,
      status,
      retryAfterSeconds,
      match: (r) => Object.entries(match).every(([k, v]) => r[k as keyof typeof r] === v),
    });
  }

  /** Drops every injected failure not yet used up. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Destroys every open watch connection without a proper end (a network cut). */
  cutWatches(): void {
    for (const watch of [...this.watches]) {
      watch.response.destroy();
      watch.close();
    }
  }

  /** How many watch streams are open (for tests that must act once the clients watch). */
  get openWatches(): number {
    return this.watches.size;
  }

  /** Ends every open watch stream cleanly, as the API server does after timeoutSeconds. */
  endWatches(): void {
    for (const watch of [...this.watches]) {
      watch.response.end();
      watch.close();
    }
  }

  /** Compacts the history (every older resourceVersion expires) and tells open watches: 410 Gone. */
  expireWatches(): void {
    this.store.compact();
    for (const watch of [...this.watches]) {
      writeEvent(watch.response, 'ERROR', goneStatus(0, this.store.resourceVersion));
      watch.response.end();
      watch.close();
    }
  }

  openWatchCount(): number {
    return this.watches.size;
  }

  /** Log answers still being sent (follows of running containers). */
  openLogStreamCount(): number {
    return this.logStreams.size;
  }

  /** Stops listening and drops every connection: clients now get ECONNREFUSED. */
  async refuseConnections(): Promise<void> {
    for (const watch of [...this.watches]) watch.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Listens again on the same port. */
  acceptConnections(): Promise<void> {
    return this.listen(this.port);
  }

  async stop(): Promise<void> {
    this.controller.stop();
    for (const watch of [...this.watches]) watch.close();
    await this.kubelet.stop();
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  // ---- convenience for tests ----

  get(resource: Resource, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(RESOURCES[resource].kind, namespace, name);
  }

  list(resource: Resource, namespace?: string, labelSelector?: string): KubeObject[] {
    return this.store.list(RESOURCES[resource].kind, namespace, parseSelector(labelSelector));
  }

  /** Pods the Job controller created for a Job. */
  podsOf(namespace: string, jobName: string): KubeObject[] {
    return this.list('pods', namespace, `job-name=${jobName}`);
  }

  // ---- HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const match = ROUTE.exec(url.pathname);
    const route: Route | undefined = match ? { namespace: match[1], resource: match[2] as Resource, name: match[3], subresource: match[4] } : undefined;
    const verb = route ? verbOf(method, route, url.searchParams) : undefined;
    const record: RequestRecord = { method, verb: verb ?? 'unknown', resource: route?.resource, namespace: route?.namespace, name: route?.name, at: Date.now(), status: 0 };
    this.requests.push(record);
    const send = (code: number, body: KubeObject, headers: Record<string, string> = {}) => {
      record.status = code;
      response.writeHead(code, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    try {
      const body = await readBody(request);
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      if (!route || !verb) return send(404, status(404, 'NotFound', `the server could not find the requested resource (${method} ${url.pathname})`));
      const failure = this.takeFailure(method, verb, route.resource);
      if (failure) {
        const reason = failure.status === 429 ? 'TooManyRequests' : failure.status === 503 ? 'ServiceUnavailable' : 'InternalError';
        const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
        return send(failure.status, status(failure.status, reason, `injected failure (${failure.status})`), headers);
      }
      if (verb === 'watch') {
        record.status = 200;
        return this.watch(route, url.searchParams, response, (code) => (record.status = code));
      }
      if (verb === 'log') {
        const refused = this.refuseLog(route, url.searchParams);
        if (refused) return send(refused.code, refused);
        return await this.streamLog(route, url.searchParams, response, (code) => (record.status = code));
      }
      const [code, result] = this.serve(route, verb, url.searchParams, body);
      send(code, result);
    } catch (error) {
      if (error instanceof SelectorError) return send(400, status(400, 'BadRequest', error.message));
      if (error instanceof InvalidContinueError) return send(400, status(400, 'BadRequest', error.message));
      if (error instanceof ContinueExpiredError) {
        return send(410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'));
      }
      if (error instanceof SyntaxError) return send(400, status(400, 'BadRequest', `invalid JSON: ${error.message}`));
      send(500, status(500, 'InternalError', (error as Error).message));
    }
  }

  private takeFailure(method: string, verb: Verb, resource: Resource): InjectedFailure | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && f.match({ method, verb, resource }));
    if (!failure) return undefined;
    failure.remaining--;
    if (failure.remaining === 0) this.failures.splice(this.failures.indexOf(failure), 1);
    return failure;
  }

  private serve(route: Route, verb: Verb, query: URLSearchParams, body: KubeObject | undefined): [number, KubeObject] {
    const { kind, group } = RESOURCES[route.resource];
    const qualified = group ? `${route.resource}.${group}` : route.resource;
    const notFound = (): [number, KubeObject] => [404, notFoundStatus(route)];
    switch (verb) {
      case 'list': {
        // limit and continue as kube-apiserver takes them (a limit that is not > 0 means all).
        const limit = Number.parseInt(query.get('limit') ?? '', 10);
        const page = this.store.listPage(kind, route.namespace, parseSelector(query.get('labelSelector')), limit > 0 ? limit : undefined, query.get('continue') || undefined);
        const metadata = {
          resourceVersion: String(page.resourceVersion),
          ...(page.continue !== undefined && { continue: page.continue }),
          ...(page.remainingItemCount !== undefined && { remainingItemCount: page.remainingItemCount }),
        };
        return [200, { apiVersion: kind === 'Job' ? 'batch/v1' : 'v1', kind: `${kind}List`, metadata, items: page.items } as unknown as KubeObject];
      }
      case 'get': {
        const object = this.store.get(kind, route.namespace, route.name!);
        return object ? [200, object] : notFound();
      }
      case 'create':
        return this.create(route, kind, group, qualified, body);
      case 'delete': {
        const policy = (query.get('propagationPolicy') ?? body?.propagationPolicy) as PropagationPolicy | undefined;
        const deleted = this.delete(kind, route.namespace, route.name!, policy);
        if (!deleted) return notFound();
        const details = { name: route.name, group, kind: route.resource, uid: deleted.metadata.uid };
        return [200, { kind: 'Status', apiVersion: 'v1', metadata: { name: '' }, status: 'Success', details }];
      }
    }
    return [405, status(405, 'MethodNotAllowed', 'not supported by the fake')];
  }

  /**
   * Why a pod's log cannot be read, as the API server and the kubelet answer it (pkg/registry/core/pod
   * LogLocation, the kubelet's validateContainerLogStatus; the kubelet's 400 becomes a BadRequest
   * Status), or undefined when it can.
   */
  private refuseLog(route: Route, query: URLSearchParams): KubeObject | undefined {
    const name = route.name!;
    const tailLines = query.get('tailLines');
    if (tailLines !== null && !/^-?\d+$/.test(tailLines)) return status(400, 'BadRequest', `tailLines: invalid value "${tailLines}": must be an integer`);
    if (tailLines !== null && Number(tailLines) < 0) {
      const cause = { reason: 'FieldValueInvalid', message: `Invalid value: ${tailLines}: must be greater than or equal to 0`, field: 'tailLines' };
      return status(422, 'Invalid', `PodLogOptions "${name}" is invalid: tailLines: ${cause.message}`, { name, kind: 'PodLogOptions', causes: [cause] });
    }
    const pod = this.store.get('Pod', route.namespace, name);
    if (!pod) return notFoundStatus(route);
    const names: string[] = pod.spec.containers.map((c: KubeObject) => c.name);
    const container = query.get('container') || (names.length === 1 ? names[0] : undefined);
    if (!container) return status(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) return status(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    // Not on a node yet: no log to stream (204, see streamLog).
    if (!pod.spec.nodeName) return undefined;
    const state = pod.status?.containerStatuses?.find((c: KubeObject) => c.name === container)?.state;
    const refuse = (what: string) => status(400, 'BadRequest', `container "${container}" in pod "${name}" ${what}`);
    if (!state) return refuse('is not available');
    if (state.running) return undefined;
    if (state.terminated) return state.terminated.containerID ? undefined : refuse('is terminated');
    const reason = state.waiting?.reason;
    if (reason === 'ErrImagePull') return refuse("is waiting to start: image can't be pulled");
    if (reason === 'ImagePullBackOff') return refuse('is waiting to start: trying and failing to pull image');
    return state.waiting ? refuse(`is waiting to start: ${reason}`) : refuse('is waiting to start - no logs yet');
  }

  /**
   * The container's log as text/plain, the last `tailLines` lines when asked; with `follow=true` the
   * answer stays open (chunked) and carries what the container writes until it ends.
   */
  private async streamLog(route: Route, query: URLSearchParams, response: ServerResponse, setStatus: (code: number) => void): Promise<void> {
    // A pod on no node has no kubelet to ask: the API server answers 204 No Content.
    if (!this.store.get('Pod', route.namespace, route.name!)?.spec.nodeName) {
      setStatus(204);
      return void response.writeHead(204).end();
    }
    setStatus(200);
    // Headers at once, as the API server flushes them before it copies the kubelet's stream.
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.flushHeaders();
    const log = this.kubelet.logOf(route.namespace, route.name!);
    if (!log) return void response.end();
    this.logStreams.add(response);
    response.on('close', () => this.logStreams.delete(response));
    const tailLines = query.get('tailLines');
    let offset = tailLines === null ? 0 : tailOffset(await readFile(log.path).catch(() => Buffer.alloc(0)), Number(tailLines));
    const copyNew = async () => {
      // Gone once the pod is deleted: what the follower has is all there is.
      const text = await readFile(log.path).catch(() => Buffer.alloc(0));
      if (text.length > offset && !response.destroyed) response.write(text.subarray(offset));
      offset = Math.max(offset, text.length);
    };
    await copyNew();
    if (isTrue(query.get('follow'))) {
      while (!log.isComplete() && !response.destroyed) {
        await Promise.race([log.complete, new Promise((resolve) => setTimeout(resolve, 50))]);
        await copyNew();
      }
      if (log.isComplete()) await copyNew();
    }
    response.end();
  }

  private create(route: Route, kind: Kind, group: string, qualified: string, body: KubeObject | undefined): [number, KubeObject] {
    if (!body?.metadata) return [400, status(400, 'BadRequest', 'the body must be an object with metadata')];
    if (body.metadata.namespace && body.metadata.namespace !== route.namespace) {
      return [400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request')];
    }
    const causes: Cause[] = kind === 'Job' ? validateJob(body) : kind === 'Secret' ? validateSecret(body) : validatePod(body);
    if (causes.length) {
      const message = `${kind}${group ? `.${group}` : ''} "${body.metadata.name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
      return [422, status(422, 'Invalid', message, { name: body.metadata.name, group, kind, causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) })];
    }
    try {
      const object: KubeObject = { ...body, kind, apiVersion: kind === 'Job' ? 'batch/v1' : 'v1' };
      if (kind === 'Job') object.spec = { backoffLimit: 6, completions: 1, parallelism: 1, ...object.spec };
      if (kind !== 'Secret') object.status = kind === 'Pod' ? { phase: 'Pending' } : {};
      return [201, this.store.create(kind, route.namespace, object)];
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      return [409, status(409, 'AlreadyExists', `${qualified} "${body.metadata.name}" already exists`, { name: body.metadata.name, group, kind: route.resource })];
    }
  }

  private delete(kind: Kind, namespace: string, name: string, policy: PropagationPolicy | undefined): KubeObject | undefined {
    if (kind === 'Job') return this.controller.deleteJob(namespace, name, policy);
    if (kind === 'Pod') return this.kubelet.deletePod(namespace, name);
    return this.store.delete(kind, namespace, name);
  }

  private watch(route: Route, query: URLSearchParams, response: ServerResponse, setStatus: (code: number) => void): void {
    // The client may have gone (or stop() dropped the connection) while the request waited for
    // its body or the injected latency: its 'close' has fired already and would never end this
    // watch, whose store subscription and timeoutSeconds timer would then outlive the server.
    if (response.destroyed) return;
    const { kind } = RESOURCES[route.resource];
    const selector = parseSelector(query.get('labelSelector'));
    const from = query.get('resourceVersion');
    const relevant = (e: StoreEvent) => e.kind === kind && e.namespace === route.namespace && matches(e.object.metadata.labels, selector);
    const initial = !from || from === '0' ? this.syntheticAdds(kind, route.namespace, selector) : this.store.eventsSince(Number(from));
    if (initial === 'gone') {
      const gone = goneStatus(Number(from), this.store.resourceVersion);
      if (this.goneMode === 'http') {
        setStatus(410);
        response.writeHead(410, { 'Content-Type': 'application/json' });
        return void response.end(JSON.stringify(gone));
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      writeEvent(response, 'ERROR', gone);
      return void response.end();
    }
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    response.flushHeaders();
    for (const event of initial.filter(relevant)) writeEvent(response, event.type, event.object);
    const unsubscribe = this.store.subscribe((event) => {
      if (relevant(event)) writeEvent(response, event.type, event.object);
    });
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
    const timer = timeoutSeconds > 0 ? setTimeout(() => response.end(), timeoutSeconds * 1000) : undefined;
    const watch: OpenWatch = {
      response,
      close: () => {
        unsubscribe();
        if (timer) clearTimeout(timer);
        this.watches.delete(watch);
        if (!response.writableEnded) response.end();
      },
    };
    this.watches.add(watch);
    response.on('close', () => watch.close());
  }

  private syntheticAdds(kind: Kind, namespace: string, selector: Requirement[]): StoreEvent[] {
    return this.store.list(kind, namespace, selector).map((object) => ({ type: 'ADDED', kind, namespace, object, resourceVersion: this.store.resourceVersion }));
  }
}

/** As the API server says it: `pods "x" not found`, `jobs.batch "x" not found`. */
function notFoundStatus(route: Route): KubeObject {
  const { group } = RESOURCES[route.resource];
  const qualified = group ? `${route.resource}.${group}` : route.resource;
  return status(404, 'NotFound', `${qualified} "${route.name}" not found`, { name: route.name, ...(group && { group }), kind: route.resource });
}

/** A boolean query parameter as Go's strconv.ParseBool reads it (true side). */
function isTrue(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

/** Where the last `lines` lines begin; a last line without its newline counts, as the kubelet counts it. */
function tailOffset(text: Buffer, lines: number): number {
  const ends = [...text.entries()].filter(([, byte]) => byte === 0x0a).map(([i]) => i + 1);
  if (text.length > 0 && text[text.length - 1] !== 0x0a) ends.push(text.length);
  const starts = [0, ...ends.slice(0, -1)];
  return lines === 0 ? text.length : (starts[starts.length - lines] ?? 0);
}

function verbOf(method: string, route: Route, query: URLSearchParams): Verb | undefined {
  if (route.subresource) return method === 'GET' && route.subresource === 'log' && route.resource === 'pods' ? 'log' : undefined;
  if (method === 'GET') {
    if (route.name) return 'get';
    return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
  }
  if (method === 'POST' && !route.name) return 'create';
  if (method === 'DELETE' && route.name) return 'delete';
  return undefined;
}

function writeEvent(response: ServerResponse, type: string, object: KubeObject): void {
  if (!response.writableEnded && !response.destroyed) response.write(`${JSON.stringify({ type, object })}\n`);
}

function goneStatus(requested: number, current: number): KubeObject {
  return status(410, 'Expired', `too old resource version: ${requested} (${current})`);
}

async function readBody(request: IncomingMessage): Promise<KubeObject | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() ? (JSON.parse(text) as KubeObject) : undefined;
}

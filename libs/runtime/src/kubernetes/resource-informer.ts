import type { KubernetesObject } from '@kubernetes/client-node';
import { type BackoffPolicy, backoffDelay } from '@rjs/core';
import { statusCodeOf } from './api-errors';
import type { ListResult, WatchCallback, WatchHandle } from './kubernetes-api';
import type { KubernetesRuntimeLogger } from './runtime-logger';

/** Where an informer reads from: a list, and a watch that continues from the list's resourceVersion. */
export interface ListWatchSource<T> {
  /** `transform` is applied to each item as its page arrives, so whole pages do not pile up. */
  list(transform: (object: T) => T): Promise<ListResult<T>>;
  watch(resourceVersion: string, timeoutSeconds: number, onEvent: WatchCallback, onDone: (error?: unknown) => void): Promise<WatchHandle>;
}

/**
 * A change the informer saw. A deletion noticed by a relist (the watch was down when it happened)
 * carries the last state the informer knew, not the object's final state: `finalStateUnknown`
 * (client-go's DeletedFinalStateUnknown).
 */
export type InformerEvent<T> =
  | { type: 'added' | 'updated'; object: T }
  | { type: 'deleted'; object: T; finalStateUnknown?: true };

export interface Disposable {
  dispose(): void;
}

export interface ResourceInformerOptions<T> {
  /** For log lines, e.g. `jobs`. */
  name: string;
  source: ListWatchSource<T>;
  /** Delay between restarts after errors (and after watches that end at once, to avoid a hot loop). */
  backoff: BackoffPolicy;
  /**
   * Each watch asks the server to end it after a random time between half this and this (spread,
   * as client-go's reflector does, so replicas do not re-watch in step); a fresh watch continues.
   */
  watchTimeoutSeconds: number;
  /** Groups objects for lookups, e.g. pods by the job they belong to. */
  indexBy?: (object: T) => string | undefined;
  /**
   * What the cache keeps of each object, applied as it arrives (list and watch): the fields its
   * readers need (client-go's SetTransform). Listeners see the transformed object. Default: all.
   */
  transform?: (object: T) => T;
  logger: KubernetesRuntimeLogger;
}

/** A watch that ended without events sooner than this counts as a failure for the backoff. */
const MIN_HEALTHY_WATCH_MS = 1000;
/** Beyond the server-side timeout, how long a silent connection may live before we drop it. */
const WATCHDOG_GRACE_MS = 15_000;

type WatchOutcome = { ended: 'quietly' | 'gone'; events: number; durationMs: number };

class WatchFailedError extends Error {
  override name = 'WatchFailedError';
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/**
 * list+watch for one resource in one namespace, which heals itself: after any error it relists
 * (reconciling the cache: objects gone in the meantime are reported deleted) and watches again,
 * with capped exponential backoff; a quiet end of the stream continues from the last
 * resourceVersion; 410 Gone (as an HTTP status or an ERROR event) relists at once.
 * `isSynced()` is true while the cache reflects a successful list and the watch since.
 * The client's own ListWatch stops for good on the first error, hence this wrapper.
 */
export class ResourceInformer<T extends KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private readonly index = new Map<string, Map<string, T>>();
  private readonly listeners = new Set<(event: InformerEvent<T>) => void>();
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private failures = 0;
  private loop: Promise<void> | undefined;
  private current: WatchHandle | undefined;
  /** Ends the watch in progress, even one whose request is still waiting for an answer. */
  private endWatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private firstSync: { promise: Promise<void>; resolve(): void; reject(error: Error): void };

  constructor(private readonly options: ResourceInformerOptions<T>) {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // nobody may be waiting when stop() rejects it
    this.firstSync = { promise, resolve, reject };
  }

  /** Typed events for every change the informer sees, relists included. */
  onEvent(listener: (event: InformerEvent<T>) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Starts following; resolves after the first successful list (errors before it are retried). */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.firstSync.promise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.synced = false;
    this.current?.abort();
    this.endWatch?.();
    this.wake?.();
    this.firstSync.reject(new Error(`${this.options.name} informer stopped`));
    await this.loop;
  }

  isSynced(): boolean {
    return this.synced;
  }

  get(name: string): T | undefined {
    return this.cache.get(name);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  byIndex(key: string): T[] {
    return [...(this.index.get(key)?.values() ?? [])];
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        const outcome = await this.watchOnce();
        await this.afterWatch(outcome);
      } catch (error) {
        if (this.stopped) break;
        this.failures++;
        this.synced = false;
        // Relist after any error: a fresh list reconciles whatever the broken watch missed.
        this.resourceVersion = '';
        const delay = backoffDelay(this.failures, this.options.backoff, Math.random);
        this.options.logger.warn(
          { informer: this.options.name, failures: this.failures, delayMs: Math.round(delay) },
          `${this.options.name} informer: ${describe(error)}; relisting`,
        );
        await this.pause(delay);
      }
    }
  }

  private async afterWatch(outcome: WatchOutcome): Promise<void> {
    if (outcome.ended === 'gone') {
      this.options.logger.info({ informer: this.options.name }, `${this.options.name} informer: resourceVersion expired (410 Gone); relisting`);
      this.resourceVersion = '';
      // The cache may have missed changes that can no longer be replayed: not synced until the relist.
      this.synced = false;
    }
    if (outcome.events === 0 && outcome.durationMs < MIN_HEALTHY_WATCH_MS) {
      // A server that ends every watch at once must not make us spin.
      this.failures++;
      await this.pause(backoffDelay(this.failures, this.options.backoff, Math.random));
    } else {
      this.failures = 0;
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.options.source.list(this.options.transform ?? ((object) => object));
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const item of items) {
      const name = nameOf(item);
      seen.add(name);
      const previous = this.cache.get(name);
      this.store(item);
      if (!previous) this.emit({ type: 'added', object: item });
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit({ type: 'updated', object: item });
    }
    for (const [name, object] of [...this.cache]) {
      if (!seen.has(name)) {
        this.remove(object);
        this.emit({ type: 'deleted', object, finalStateUnknown: true });
      }
    }
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.firstSync.resolve();
  }

  /** One watch, until the server ends it, it reports 410, or it fails (thrown). */
  private watchOnce(): Promise<WatchOutcome> {
    // stop() during the list above: nothing to end yet, so no watch is opened.
    if (this.stopped) return Promise.resolve({ ended: 'quietly', events: 0, durationMs: 0 });
    const started = Date.now();
    let events = 0;
    let gone = false;
    let failure: Error | undefined;
    return new Promise<WatchOutcome>((resolve, reject) => {
      let settled = false;
      let abortRequested = false;
      let handle: WatchHandle | undefined;
      const abort = (): void => {
        abortRequested = true;
        handle?.abort();
      };
      const longest = this.options.watchTimeoutSeconds;
      const timeoutSeconds = Math.max(1, Math.floor(longest / 2 + (Math.random() * longest) / 2));
      // A watch request that never got an answer has no handle to abort (the client awaits the
      // response headers first): it is given up, or the informer (and stop()) would wait forever.
      const giveUp = (error?: Error): void => {
        abort();
        if (!handle) finish(error);
      };
      this.endWatch = () => giveUp();
      const watchdog = setTimeout(
        () => giveUp(new WatchFailedError(`the ${this.options.name} watch got no answer within ${timeoutSeconds + WATCHDOG_GRACE_MS / 1000} s`)),
        timeoutSeconds * 1000 + WATCHDOG_GRACE_MS,
      );
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        this.current = undefined;
        this.endWatch = undefined;
        const durationMs = Date.now() - started;
        if (failure) reject(failure);
        else if (gone || statusCodeOf(error) === 410) resolve({ ended: 'gone', events, durationMs });
        else if (error && !this.stopped && !isAbort(error)) reject(error);
        else resolve({ ended: 'quietly', events, durationMs });
      };
      const onEvent: WatchCallback = (type, object) => {
        if (settled) return;
        if (type === 'ERROR') {
          if (object.code === 410) gone = true;
          else failure = new WatchFailedError(`watch error event: ${object.message ?? JSON.stringify(object)}`, object.code);
          abort();
          return;
        }
        const version = object.metadata?.resourceVersion;
        if (version) this.resourceVersion = version;
        if (type === 'BOOKMARK') return;
        events++;
        this.apply(type, this.options.transform ? this.options.transform(object as T) : (object as T));
      };
      this.options.source
        .watch(this.resourceVersion, timeoutSeconds, onEvent, finish)
        .then((h) => {
          handle = h;
          if (settled || abortRequested || this.stopped) h.abort();
          else this.current = h;
        })
        .catch(finish);
    });
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void {
    if (type === 'DELETED') {
      this.remove(object);
      this.emit({ type: 'deleted', object });
      return;
    }
    const existed = this.cache.has(nameOf(object));
    this.store(object);
    this.emit({ type: existed ? 'updated' : 'added', object });
  }

  private store(object: T): void {
    const name = nameOf(object);
    const previous = this.cache.get(name);
    if (previous) this.unindex(previous);
    this.cache.set(name, object);
    const key = this.options.indexBy?.(object);
    if (key === undefined) return;
    let bucket = this.index.get(key);
    if (!bucket) this.index.set(key, (bucket = new Map()));
    bucket.set(name, object);
  }

  private remove(object: T): void {
    const previous = this.cache.get(nameOf(object));
    if (previous) this.unindex(previous);
    this.cache.delete(nameOf(object));
  }

  private unindex(object: T): void {
    const key = this.options.indexBy?.(object);
    if (key === undefined) return;
    const bucket = this.index.get(key);
    bucket?.delete(nameOf(object));
    if (bucket?.size === 0) this.index.delete(key);
  }

  private emit(event: InformerEvent<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger.error({ informer: this.options.name }, `${this.options.name} informer: a listener failed: ${describe(error)}`);
      }
    }
  }
}

function nameOf(object: KubernetesObject): string {
  return object.metadata?.name ?? '';
}

function isAbort(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}

function describe(error: unknown): string {
  const code = statusCodeOf(error);
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return code === undefined ? message : `HTTP ${code}: ${message}`;
}

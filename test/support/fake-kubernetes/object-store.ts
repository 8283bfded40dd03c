import { randomUUID } from 'node:crypto';
import { matches, type Requirement } from './label-selector';

/** Any part of a Kubernetes object as JSON (the fake does not type every field). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** A Kubernetes object as JSON. */
export type KubeObject = Json & { apiVersion?: string; kind?: string; metadata: ObjectMeta };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

export type Kind = 'Job' | 'Pod' | 'Secret';
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  kind: Kind;
  namespace: string;
  object: KubeObject;
  resourceVersion: number;
}

export class AlreadyExistsError extends Error {
  override name = 'AlreadyExistsError';
}

/** Kubernetes timestamps: RFC3339, second precision. */
export function kubeTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * The fake API server's storage (etcd): objects by kind, namespace and name, one resourceVersion
 * counter for all, and a bounded history of changes from which watches resume. Resuming from a
 * resourceVersion older than the history is "410 Gone". Every returned object is a copy.
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  /** Watches may resume from any resourceVersion >= this one. */
  private oldestResumable = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  /** Events not yet delivered: a listener that writes must not overtake the event it reacts to. */
  private readonly pending: StoreEvent[] = [];
  private delivering = false;
  /** The states that unfinished paged lists are read at, by kind, namespace and resourceVersion. */
  private readonly listSnapshots = new Map<string, KubeObject[]>();

  constructor(private readonly historyLimit = 10_000) {}

  get resourceVersion(): number {
    return this.revision;
  }

  private key(kind: Kind, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  create(kind: Kind, namespace: string, object: KubeObject): KubeObject {
    const key = this.key(kind, namespace, object.metadata.name);
    if (this.objects.has(key)) throw new AlreadyExistsError(`${kind} ${namespace}/${object.metadata.name} already exists`);
    const stored = clone(object);
    stored.metadata = {
      ...stored.metadata,
      namespace,
      uid: randomUUID(),
      creationTimestamp: kubeTime(),
      generation: 1,
      resourceVersion: String(++this.revision),
    };
    this.objects.set(key, stored);
    this.record('ADDED', kind, namespace, stored);
    return clone(stored);
  }

  get(kind: Kind, namespace: string, name: string): KubeObject | undefined {
    const object = this.objects.get(this.key(kind, namespace, name));
    return object && clone(object);
  }

  list(kind: Kind, namespace?: string, selector: Requirement[] = []): KubeObject[] {
    return this.snapshot(kind, namespace).filter((o) => matches(o.metadata.labels, selector)).map(clone);
  }

  /**
   * Copies of a kind's objects in a namespace that `match`, in no order: what the controllers ask
   * (a Job's pods, an owner's dependents) on every reconcile. Unlike list, it neither sorts nor
   * copies the whole kind, which made a reconcile cost O(objects) copies, and a test with thousands
   * of Jobs quadratic.
   */
  find(kind: Kind, namespace: string, match: (object: KubeObject) => boolean): KubeObject[] {
    const found: KubeObject[] = [];
    for (const object of this.objects.values()) {
      if (kindOf(object) === kind && object.metadata.namespace === namespace && match(object)) found.push(clone(object));
    }
    return found;
  }

  /**
   * A kind's objects (in a namespace, or all) as they are now, in etcd's key order (namespace, then
   * name), as the stored objects themselves: they are never changed in place (update and delete
   * replace them), so the array stays the state at this resourceVersion. Callers copy what they send.
   */
  snapshot(kind: Kind, namespace?: string): KubeObject[] {
    const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
    return [...this.objects.values()]
      .filter((o) => kindOf(o) === kind && (namespace === undefined || o.metadata.namespace === namespace))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  /**
   * One page of a list (`limit`, `continue`), as kube-apiserver serves it: every page of a list is
   * the state at the first page's resourceVersion (etcd reads the later ones at that revision), and
   * a continue token is `{"v":"meta.k8s.io/v1","rv":<rv>,"start":"<next key>"}` in base64. The
   * fake keeps the first pages' snapshots (the last 32 lists, like etcd's history until compaction):
   * a token whose snapshot is gone is expired (410), as one older than etcd's compaction is.
   */
  listPage(kind: Kind, namespace: string | undefined, selector: Requirement[], limit: number | undefined, token: string | undefined): ListPage {
    let resourceVersion = this.revision;
    let start = '';
    if (token) {
      const decoded = decodeContinue(token);
      resourceVersion = decoded.rv;
      start = decoded.start;
    }
    const snapshotKey = `${kind}/${namespace ?? ''}@${resourceVersion}`;
    let objects = this.listSnapshots.get(snapshotKey);
    if (!objects) {
      if (token) throw new ContinueExpiredError();
      objects = this.snapshot(kind, namespace);
    }
    const keyOf = (o: KubeObject) => (namespace === undefined ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (const object of objects) {
      if (start && keyOf(object) < start) continue;
      if (!matches(object.metadata.labels, selector)) continue;
      if (limit === undefined || items.length < limit) items.push(clone(object));
      else {
        next ??= `${keyOf(items[items.length - 1])}\u0000`;
        remaining++;
      }
    }
    if (next !== undefined) {
      this.listSnapshots.set(snapshotKey, objects);
      for (const old of this.listSnapshots.keys()) {
        if (this.listSnapshots.size <= MAX_LIST_SNAPSHOTS) break;
        this.listSnapshots.delete(old);
      }
    }
    const continueToken = next === undefined ? undefined : Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start: next })).toString('base64');
    // The API server counts the rest only for lists without a selector.
    return { items, resourceVersion, continue: continueToken, remainingItemCount: continueToken && selector.length === 0 ? remaining : undefined };
  }

  /** Applies `change` to the stored object; returns the new version, or undefined if it is gone. */
  update(kind: Kind, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject | undefined {
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    const next = clone(current);
    change(next);
    next.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, next);
    this.record('MODIFIED', kind, namespace, next);
    return clone(next);
  }

  delete(kind: Kind, namespace: string, name: string): KubeObject | undefined {
    const key = this.key(kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    this.objects.delete(key);
    const last = clone(current);
    last.metadata.resourceVersion = String(++this.revision);
    this.record('DELETED', kind, namespace, last);
    return clone(last);
  }

  /** Changes after `resourceVersion`, or 'gone' when the history no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] | 'gone' {
    if (resourceVersion < this.oldestResumable) return 'gone';
    return this.history.filter((e) => e.resourceVersion > resourceVersion).map(clone);
  }

  /** Drops the whole history (etcd compaction): every older resourceVersion is now expired. */
  compact(): void {
    this.history = [];
    this.listSnapshots.clear();
    this.oldestResumable = this.revision;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(type: EventType, kind: Kind, namespace: string, object: KubeObject): void {
    const event: StoreEvent = { type, kind, namespace, object: clone(object), resourceVersion: this.revision };
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestResumable = dropped[dropped.length - 1].resourceVersion;
    }
    this.pending.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.pending.length) {
        const next = this.pending.shift()!;
        for (const listener of [...this.listeners]) {
          try {
            listener(clone(next));
          } catch (error) {
            console.error('fake-kubernetes: a store listener failed', error);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}

const MAX_LIST_SNAPSHOTS = 32;

export interface ListPage {
  items: KubeObject[];
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

/** A continue token that is not one (kube-apiserver: 400 "continue key is not valid"). */
export class InvalidContinueError extends Error {}
/** A continue token whose resourceVersion is compacted away (kube-apiserver: 410 Expired). */
export class ContinueExpiredError extends Error {}

function decodeContinue(token: string): { rv: number; start: string } {
  let decoded: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw new InvalidContinueError('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (decoded?.v !== 'meta.k8s.io/v1') throw new InvalidContinueError('continue key is not valid: server does not recognize this encoded key');
  if (typeof decoded.rv !== 'number' || decoded.rv < 1 || typeof decoded.start !== 'string' || decoded.start === '') {
    throw new InvalidContinueError('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { rv: decoded.rv, start: decoded.start };
}

function kindOf(object: KubeObject): Kind {
  return object.kind as Kind;
}

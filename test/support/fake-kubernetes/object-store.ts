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
    return [...this.objects.values()]
      .filter((o) => kindOf(o) === kind && (namespace === undefined || o.metadata.namespace === namespace))
      .filter((o) => matches(o.metadata.labels, selector))
      .map(clone);
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

function kindOf(object: KubeObject): Kind {
  return object.kind as Kind;
}

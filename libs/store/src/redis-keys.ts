import { hash } from 'node:crypto';

/** The hash tag of a component's keys (store and BullMQ): `{<component>}`. */
export const hashTag = (component: string) => `{${component}}`;

const keyPrefix = (component: string) => `rjs:${hashTag(component)}`;

/**
 * The layout before hash tags (`rjs:<component>:...`, BullMQ's `bull:<queue>:...`): read only by
 * the key migration.
 */
export const legacyKeyPrefix = (component: string) => `rjs:${component}`;

/**
 * The Redis key layout of the status store. This is a wire contract shared by every process and
 * every version that runs against the same Redis: renaming a key needs a data migration (see
 * key-migration.ts, which moves the layout before hash tags to this one).
 *
 * Every key of a component carries the hash tag `{<component>}`, as the component's BullMQ keys do
 * (queuePrefix in libs/queue): on a Redis Cluster they all hash to one slot, so the Lua scripts and
 * MGETs, which touch several keys of one component, run there; components spread over the nodes.
 *
 *   rjs:{<component>}:job:<name>       HASH  doc (JobRecord JSON), rev (write counter), spec (ResolvedJob JSON)
 *   rjs:{<component>}:payload:<name>   STRING the payload, kept with the record (restart and copy launch it again)
 *   rjs:{<component>}:batch:<name>     STRING BatchRecord JSON (single jobs have one too, of type job)
 *   rjs:{<component>}:idx:singles      ZSET  job names of single jobs, scored by creation time (ms)
 *   rjs:{<component>}:idx:batches      ZSET  batch names (type batch), scored by creation time (ms)
 *   rjs:{<component>}:idx:unfinished   SET   job names whose status is not final
 *   rjs:{<component>}:idx:status-counts HASH status -> how many job records hold it (no field at 0)
 *   rjs:{<component>}:idx:open-batches HASH batch name -> how many of its jobs are not final (no field at 0)
 *   rjs:{<component>}:idx:finished     ZSET  batch names (single jobs' too) whose jobs are all final, scored
 *                                          by the `ended` (ms) of the job that finished last; retention reads it
 *   rjs:{<component>}:outbox:dispatch  SET   accepted job names not yet confirmed in the launch queue
 *   rjs:{<component>}:outbox:cleanup   SET   deleted job names not yet handed to the runtime for removal
 *   rjs:{<component>}:events           STREAM every change (Create, Update, Delete), trimmed to EVENTS_STREAM_MAXLEN; SSE reads it
 *   rjs:{<component>}:notify:pending:<batch> LIST transitions of the batch owed to the webhook, oldest first
 *   rjs:{<component>}:notify:inflight:<batch> HASH the one delivery of the batch being sent (id, items, since)
 *   rjs:{<component>}:notify:batches   ZSET  batch names with transitions owed to the webhook, scored by when
 *                                          the notifier should look at them next (ms)
 *   rjs:{<component>}:notify:seq       STRING the last delivery id handed out
 *   rjs:{<component>}:slots            HASH  job name -> when it took a launch slot (ms); MAX_ACTIVE_JOBS caps its size
 *   rjs:{<component>}:idx:waiting      ZSET  Waiting job names in launch order, scored (1000 - priority) * 2^42 + arrival
 *   rjs:{<component>}:idx:waiting-seq  STRING the arrival counter of idx:waiting
 *   rjs:{<component>}:idempotency:<h>  STRING an Idempotency-Key (h: its SHA-256): {fingerprint, batchName} JSON, 24 h
 */
export class RedisKeys {
  private readonly prefix: string;

  constructor(component: string) {
    this.prefix = `${keyPrefix(component)}:`;
  }

  /** What every key of the component starts with, `rjs:{<component>}` (no trailing colon). */
  static prefix(component: string): string {
    return keyPrefix(component);
  }

  /** A SCAN/KEYS pattern for every key of the component (the tag's braces are not glob characters). */
  static pattern(component: string): string {
    return `${keyPrefix(component)}:*`;
  }

  job(name: string): string {
    return `${this.prefix}job:${name}`;
  }
  payload(name: string): string {
    return `${this.prefix}payload:${name}`;
  }
  batch(name: string): string {
    return `${this.prefix}batch:${name}`;
  }
  get singles(): string {
    return `${this.prefix}idx:singles`;
  }
  get batches(): string {
    return `${this.prefix}idx:batches`;
  }
  get unfinished(): string {
    return `${this.prefix}idx:unfinished`;
  }
  get statusCounts(): string {
    return `${this.prefix}idx:status-counts`;
  }
  get openBatches(): string {
    return `${this.prefix}idx:open-batches`;
  }
  get finished(): string {
    return `${this.prefix}idx:finished`;
  }
  get dispatchOutbox(): string {
    return `${this.prefix}outbox:dispatch`;
  }
  get cleanupOutbox(): string {
    return `${this.prefix}outbox:cleanup`;
  }
  get events(): string {
    return `${this.prefix}events`;
  }
  notifyPending(batchName: string): string {
    return `${this.prefix}notify:pending:${batchName}`;
  }
  notifyInflight(batchName: string): string {
    return `${this.prefix}notify:inflight:${batchName}`;
  }
  get notifyBatches(): string {
    return `${this.prefix}notify:batches`;
  }
  get notifySeq(): string {
    return `${this.prefix}notify:seq`;
  }
  get slots(): string {
    return `${this.prefix}slots`;
  }
  get waiting(): string {
    return `${this.prefix}idx:waiting`;
  }
  get waitingSeq(): string {
    return `${this.prefix}idx:waiting-seq`;
  }
  /** The client's key is hashed: any text (even braces, which would pick a Redis Cluster slot) makes a plain key name. */
  idempotency(key: string): string {
    // crypto.hash: one call, a quarter of createHash's cost for short input (it runs on every keyed create).
    return `${this.prefix}idempotency:${hash('sha256', key, 'hex')}`;
  }
}

import type { RedisClient } from './redis-connection';
import type { BatchStub, Delivery, EventLog, JobRecord, NotificationEvent, NotificationOutbox, RecordedChange } from '@rjs/core';
import { CLOSE_DELIVERY, OPEN_DELIVERY } from './event-scripts';
import { LuaScript } from './lua-script';
import { RedisKeys } from './redis-keys';

const openDelivery = new LuaScript(OPEN_DELIVERY);
const closeDelivery = new LuaScript(CLOSE_DELIVERY);

/** How the notifier groups transitions into deliveries. */
export interface DeliveryGrouping {
  /** A batch's transitions wait this long after the first for others to go with them (<= 1 s). */
  coalesceMs: number;
  /** An open delivery is looked at again (its work queued again) this long after it was last. */
  leaseMs: number;
  /** At most this many transitions per delivery (a body stays around a megabyte). */
  maxJobs: number;
}

export const DEFAULT_DELIVERY_GROUPING: DeliveryGrouping = { coalesceMs: 250, leaseMs: 30_000, maxJobs: 1000 };

/** A pending item (event-scripts.ts): `event \n jobName \n ms \n jobRecord \n stub`. */
function parseItem(item: string): RecordedChange {
  const [event, , ms, doc, stub] = item.split('\n');
  const job = JSON.parse(doc) as JobRecord;
  return { event: event as NotificationEvent, batchName: job.batchName, timeMs: Number(ms), jobs: [job], batch: stub ? (JSON.parse(stub) as BatchStub) : undefined };
}

function toDelivery(batchName: string, reply: string[]): Delivery | undefined {
  if (reply.length === 0 || !reply[0]) return undefined;
  const [id, items, opened] = reply;
  const changes = items.split('\x1e').map(parseItem);
  return { id, batchName, event: changes[0].event, openedMs: Number(opened), changes };
}

/** The webhook's outbox in Redis (keys of RedisKeys, written in step with the status by event-scripts.ts). */
export class RedisNotificationOutbox implements NotificationOutbox {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: RedisClient,
    component: string,
    private readonly grouping: DeliveryGrouping = DEFAULT_DELIVERY_GROUPING,
  ) {
    this.keys = new RedisKeys(component);
  }

  dueBatches(nowMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.notifyBatches, '-inf', nowMs, 'LIMIT', 0, limit);
  }

  async openDelivery(batchName: string, nowMs: number): Promise<Delivery | undefined> {
    const k = this.keys;
    const { coalesceMs, leaseMs, maxJobs } = this.grouping;
    const reply = (await openDelivery.run(
      this.redis,
      [k.notifyPending(batchName), k.notifyInflight(batchName), k.notifyBatches, k.notifySeq],
      [batchName, String(nowMs), String(coalesceMs), String(leaseMs), String(maxJobs)],
    )) as string[];
    return toDelivery(batchName, reply);
  }

  async getDelivery(batchName: string, id: string): Promise<Delivery | undefined> {
    const reply = await this.redis.hmget(this.keys.notifyInflight(batchName), 'id', 'items', 'opened');
    if (reply[0] !== id) return undefined;
    return toDelivery(batchName, reply as string[]);
  }

  async closeDelivery(batchName: string, id: string, nowMs: number): Promise<boolean> {
    const k = this.keys;
    const closed = await closeDelivery.run(this.redis, [k.notifyPending(batchName), k.notifyInflight(batchName), k.notifyBatches], [batchName, id, String(nowMs)]);
    return closed === 1;
  }

  backlog(): Promise<number> {
    return this.redis.zcard(this.keys.notifyBatches);
  }
}

type StreamReply = [id: string, fields: string[]][];

function toChange([id, fields]: [string, string[]]): RecordedChange {
  const value: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) value[fields[i]] = fields[i + 1];
  return {
    id,
    event: value.e as NotificationEvent,
    batchName: value.b,
    timeMs: Number(value.t),
    batch: value.h ? (JSON.parse(value.h) as BatchStub) : undefined,
    jobs: JSON.parse(value.j) as JobRecord[],
  };
}

/** The events stream. waitAfter blocks its connection: give it one of its own. */
export class RedisEventLog implements EventLog {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    component: string,
  ) {
    this.key = new RedisKeys(component).events;
  }

  async readAfter(afterId: string, count: number): Promise<RecordedChange[]> {
    const start = afterId === '0' || afterId === '0-0' ? '-' : `(${afterId}`;
    const reply = (await this.redis.xrange(this.key, start, '+', 'COUNT', count)) as StreamReply;
    return reply.map(toChange);
  }

  async waitAfter(afterId: string, count: number, blockMs: number): Promise<RecordedChange[]> {
    const reply = (await this.redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, afterId)) as [string, StreamReply][] | null;
    return reply ? reply[0][1].map(toChange) : [];
  }

  async latestId(): Promise<string> {
    const reply = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamReply;
    return reply[0]?.[0] ?? '0-0';
  }

  async oldestId(): Promise<string | undefined> {
    const reply = (await this.redis.xrange(this.key, '-', '+', 'COUNT', 1)) as StreamReply;
    return reply[0]?.[0];
  }
}

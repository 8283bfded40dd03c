import { controlQueueName, launchQueueName, LEGACY_QUEUE_PREFIX, queuePrefix } from '@rjs/queue';
import { Cluster } from 'ioredis';
import { type KeyMigrationResult, type KeyPrefixMove, legacyKeyPrefix, moveKeyPrefixes, type RedisClient, RedisKeys } from '@rjs/store';

/**
 * The renames from the layout before hash tags to today's, for one component: its status store
 * keys (`rjs:<component>:` -> `rjs:{<component>}:`) and its two BullMQ queues
 * (`bull:rjs-<component>-launch:` -> `bull:{<component>}:rjs-<component>-launch:`).
 */
export function keyLayoutMoves(component: string): KeyPrefixMove[] {
  const queueMoves = [launchQueueName(component), controlQueueName(component)].map((queue) => ({
    from: `${LEGACY_QUEUE_PREFIX}:${queue}:`,
    to: `${queuePrefix(component)}:${queue}:`,
  }));
  return [{ from: `${legacyKeyPrefix(component)}:`, to: `${RedisKeys.prefix(component)}:` }, ...queueMoves];
}

/**
 * Whether one Redis holds the component's data in the layout before hash tags: its indexes, outbox
 * or queues under the old names (one EXISTS). A Redis Cluster never held that layout.
 */
export async function legacyLayoutPresent(redis: RedisClient, component: string): Promise<boolean> {
  if (redis instanceof Cluster) return false;
  const store = legacyKeyPrefix(component);
  const queues = [launchQueueName(component), controlQueueName(component)].map((queue) => `${LEGACY_QUEUE_PREFIX}:${queue}:meta`);
  return (await redis.exists(`${store}:idx:unfinished`, `${store}:idx:singles`, `${store}:idx:batches`, `${store}:outbox:dispatch`, ...queues)) > 0;
}

/** Moves one component's keys (status records and queued work) to the hash-tagged layout. */
export function migrateKeyLayout(redis: RedisClient, component: string): Promise<KeyMigrationResult> {
  return moveKeyPrefixes(redis, keyLayoutMoves(component));
}

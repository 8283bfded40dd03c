import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection';

/** Keys starting with `from` are renamed to start with `to` instead. */
export interface KeyPrefixMove {
  from: string;
  to: string;
}

export interface KeyMigrationResult {
  /** How many keys were renamed. */
  renamed: number;
  /** Keys left under their old name because the new name was taken already: they need a look by hand. */
  conflicts: { from: string; to: string }[];
}

/** Keys renamed per round trip (one pipeline of RENAMENX). */
const KEYS_PER_ROUND = 1000;

/** SCAN MATCH treats these as pattern characters: a prefix holding one is escaped. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Renames every key under each `from` prefix to the same name under its `to` prefix, with
 * RENAMENX: a key whose new name exists already is left and reported, never overwritten. A run
 * that stopped half way can be run again; it carries on with the keys still under an old prefix.
 *
 * Runs on one Redis only: the layout before hash tags never ran on a Redis Cluster (its multi-key
 * scripts fail there with CROSSSLOT), and RENAME cannot move a key to another slot. The processes
 * that write these keys must be stopped meanwhile: a key written under an old name after the scan
 * went past it would stay behind.
 */
export async function moveKeyPrefixes(redis: RedisClient, moves: KeyPrefixMove[]): Promise<KeyMigrationResult> {
  if (redis instanceof Cluster) {
    throw new Error('the key migration runs on one Redis (REDIS_URL): the layout before hash tags never ran on a Redis Cluster, so there is nothing to move');
  }
  const result: KeyMigrationResult = { renamed: 0, conflicts: [] };
  for (const { from, to } of moves) {
    // SCAN may return a key more than once, and renamed keys leave the old prefix: collect first.
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${escapeGlob(from)}*`, 'COUNT', KEYS_PER_ROUND);
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    const names = [...keys];
    for (let start = 0; start < names.length; start += KEYS_PER_ROUND) {
      const slice = names.slice(start, start + KEYS_PER_ROUND);
      const pipeline = redis.pipeline();
      for (const key of slice) pipeline.renamenx(key, to + key.slice(from.length));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, reply], i) => {
        // Gone since the scan (a BullMQ lock that expired): nothing to move.
        if (error && /no such key/i.test(error.message)) return;
        if (error) throw error;
        if (reply === 1) result.renamed++;
        else result.conflicts.push({ from: slice[i], to: to + slice[i].slice(from.length) });
      });
    }
  }
  return result;
}

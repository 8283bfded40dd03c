import type { Redis } from 'ioredis';
import { dataNodes, type RedisClient } from './redis-connection';

/**
 * How close to maxmemory counts as full. Redis refuses a write when its memory plus the command
 * being read in (its arguments) would pass maxmemory, so writes are refused before INFO shows the
 * limit reached: a Redis that refuses small accepts sits a few bytes below it. 1 MiB is the largest
 * payload, so below this margin some accepts are refused already.
 */
export const FULL_MARGIN_BYTES = 1024 * 1024;

export interface RedisMemory {
  /** Memory Redis counts against maxmemory (replica and AOF buffers left out, as Redis leaves them out). */
  usedBytes: number;
  /** 0: no limit. */
  maxBytes: number;
  /** True while Redis refuses writes that need memory, or is within FULL_MARGIN_BYTES of doing so. */
  full: boolean;
}

/**
 * Reads INFO memory and compares it with maxmemory as Redis does before a command that needs memory.
 * On a cluster each master refuses writes on its own: the figures are those of the fullest master
 * (by share of its maxmemory), and full means some master is.
 */
export async function readRedisMemory(redis: RedisClient): Promise<RedisMemory> {
  const nodes = await Promise.all(dataNodes(redis).map(readNodeMemory));
  if (nodes.length === 0) throw new Error('Connection is closed: no Redis Cluster master is known yet');
  const share = ({ usedBytes, maxBytes }: RedisMemory) => (maxBytes > 0 ? usedBytes / maxBytes : 0);
  return nodes.find((node) => node.full) ?? nodes.reduce((fullest, node) => (share(node) > share(fullest) ? node : fullest));
}

async function readNodeMemory(redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const usedBytes = Math.max(0, field('used_memory') - field('mem_not_counted_for_evict'));
  const maxBytes = field('maxmemory');
  return { usedBytes, maxBytes, full: maxBytes > 0 && usedBytes + FULL_MARGIN_BYTES > maxBytes };
}

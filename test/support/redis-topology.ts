import { randomBytes } from 'node:crypto';
import { dataNodes, type RedisClient, type RedisTarget } from '@rjs/store';
import { TestRedisCluster } from './redis-cluster';
import { TestRedis } from './redis-server';

/** The two kinds of Redis the scheduler runs on: one redis-server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisTopology = 'single' | 'cluster';
export const REDIS_TOPOLOGIES: readonly RedisTopology[] = ['single', 'cluster'];

/** What a suite run against either topology needs of its Redis. */
export interface RedisUnderTest {
  readonly topology: RedisTopology;
  /** REDIS_URL or REDIS_CLUSTER_NODES, for loadConfig or a scheduler's environment. */
  readonly env: Record<string, string>;
  /** For createRedis (libs/store). */
  readonly target: RedisTarget;
  /** A client for assertions (waits through outages); the caller quits it. */
  client(): RedisClient;
  /** Empties every node. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private redis-server, or a private three-master Redis Cluster that, as managed ones do, lets in
 * only an ACL user with its password (REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD).
 */
export async function startRedisOf(topology: RedisTopology): Promise<RedisUnderTest> {
  if (topology === 'cluster') return TestRedisCluster.start({ username: 'rjs-scheduler', password: randomBytes(16).toString('hex') });
  const redis = await TestRedis.start();
  return {
    topology,
    env: { REDIS_URL: redis.url },
    target: { redisUrl: redis.url },
    client: () => redis.client(),
    flush: () => redis.flush(),
    stop: () => redis.stop(),
  };
}

/**
 * KEYS on every node that holds data: on a cluster, KEYS sent through the client reaches one
 * (random) master only. A test-only convenience; the product code never lists keys.
 */
export async function keysOf(client: RedisClient, pattern: string): Promise<string[]> {
  await ready(client);
  return (await Promise.all(dataNodes(client).map((node) => node.keys(pattern)))).flat();
}

function ready(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

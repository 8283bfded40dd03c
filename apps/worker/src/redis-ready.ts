import type { RedisClient } from '@rjs/store';

/**
 * Waits until the (fail-fast) Redis client has connected, or the timeout passed. The recovery and
 * reconcile runs at start would otherwise fail, and log, just because the connection is still
 * being made; when Redis really is down they fail and are tried again on their timers.
 */
export function redisReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

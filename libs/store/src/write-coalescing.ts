import Redis from 'ioredis';
import type { RedisClient } from './redis-connection';

const corked = new WeakSet<object>();

/**
 * Holds the connection's writes until the end of this turn of the event loop (setImmediate runs
 * once the I/O callbacks of the turn are done), so that the commands of every request read in the
 * same turn leave in one write (one writev) instead of one write system call each: under load the
 * record script's write was the largest single item of an accept's CPU profile (benchmark 1).
 * ioredis writes each command at once; its autoPipelining would batch them too, but it copies
 * BullMQ's scripts into every pipeline it builds (bench/findings.md), and a command that fails
 * while being queued crashes it. Nothing is reordered or held past the turn. A Cluster client
 * (several connections) is left alone.
 */
export function coalesceWritesThisTurn(redis: RedisClient): void {
  if (!(redis instanceof Redis) || redis.status !== 'ready') return;
  const socket = redis.stream;
  if (!socket || corked.has(socket) || socket.destroyed) return;
  corked.add(socket);
  socket.cork();
  setImmediate(() => {
    corked.delete(socket);
    socket.uncork();
  });
}

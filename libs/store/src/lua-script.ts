import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script called by its SHA1 (EVALSHA): a call sends 40 bytes instead of the script's text,
 * and Redis does not hash the text on every call. Redis forgets scripts when it restarts (or on
 * SCRIPT FLUSH); the call then fails with NOSCRIPT without running anything, and is sent once more
 * with EVAL, which caches the script again.
 *
 * Keys and arguments go to ioredis as one array, which it flattens: spread into the call, as many
 * arguments as a batch of some 13,000 jobs has (six per job) overflowed the JavaScript call stack.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: string[]): Promise<unknown> {
    const keysAndArgs = keys.concat(args);
    try {
      return await redis.evalsha(this.sha, keys.length, keysAndArgs);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return redis.eval(this.source, keys.length, keysAndArgs);
    }
  }

  /**
   * The same, with the reply (a string) as a Buffer: for a reply of many records, which the caller
   * reads a piece at a time (see forEachLine in redis-status-store.ts).
   */
  async runForBuffer(redis: Redis, keys: string[], args: string[]): Promise<unknown> {
    const keysAndArgs: (string | number)[] = [keys.length, ...keys, ...args];
    try {
      return await redis.callBuffer('evalsha', [this.sha, ...keysAndArgs]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return redis.callBuffer('eval', [this.source, ...keysAndArgs]);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisClient } from './redis-connection';

/**
 * Sends a command whose arguments are already one flat array. ioredis's own calls flatten every
 * command's arguments with `Array.prototype.flat`, which on Node 20 costs ~16-20 µs for the ~37
 * arguments of a one-job record write (about a fifth of an accepted job's CPU, benchmark 1) and
 * ~50 ms for the 90,000 of a 10,000-job batch (benchmark 2); building the Command with no arguments
 * and handing it the flat array (`args`, a public field) skips that. The Command's constructor also
 * turns numbers into text and runs argument transformers (none for the commands sent here), so
 * the arguments are strings only. A connection with a keyPrefix (ioredis prefixes keys in the
 * constructor) takes the ordinary path; the store's have none.
 */
export function sendFlat(redis: RedisClient, name: string, args: string[], replyEncoding: 'utf8' | null = 'utf8'): Promise<unknown> {
  if (redis.options.keyPrefix) return redis.call(name, args);
  const command = new Command(name, [], { replyEncoding });
  command.args = args;
  void redis.sendCommand(command);
  return command.promise;
}

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

  async run(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    const keysAndArgs = keys.concat(args);
    try {
      return await redis.evalsha(this.sha, keys.length, keysAndArgs);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return redis.eval(this.source, keys.length, keysAndArgs);
    }
  }

  /**
   * The same, handed to ioredis already flat (sendFlat): for the record write of the accept path,
   * where the flattening showed in the profile. (A failure of test/e2e/notifications.e2e-spec.ts
   * seen while every script went this way was that test reading the backlog metric before the
   * worker recorded its last delivery, fixed since; the other scripts were left as they were.)
   */
  runFlat(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    return this.send(redis, keys, args, 'utf8');
  }

  /**
   * The same, with the reply (a string) as a Buffer: for a reply of many records, which the caller
   * reads a piece at a time (see forEachLine in redis-status-store.ts).
   */
  runForBuffer(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    return this.send(redis, keys, args, null);
  }

  private async send(redis: RedisClient, keys: string[], args: string[], encoding: 'utf8' | null): Promise<unknown> {
    try {
      return await sendFlat(redis, 'evalsha', [this.sha, String(keys.length)].concat(keys, args), encoding);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return sendFlat(redis, 'eval', [this.source, String(keys.length)].concat(keys, args), encoding);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

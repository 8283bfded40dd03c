import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '@rjs/store';
import { Readiness, REDIS } from '@rjs/platform';
import { readRedisMemory } from '@rjs/store';

/** The check's name in /readyz. */
export const STORE_ROOM_CHECK = 'status store has room';

/**
 * /readyz says so while Redis is out of memory: accepts then answer 503 while reads and deletes
 * still work, so the process stays ready (a warning, not a failed check) and the warning gives the
 * figures. It asks Redis each time, so it clears by itself once
 * retention has freed space or maxmemory was raised.
 */
@Injectable()
export class StoreRoomReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  onModuleInit(): void {
    this.readiness.registerWarning(STORE_ROOM_CHECK, async () => {
      const { full, usedBytes, maxBytes } = await readRedisMemory(this.redis);
      return full
        ? `Redis is out of memory (${usedBytes} bytes used, maxmemory ${maxBytes}): new jobs are refused with 503 until retention removes finished records or maxmemory is raised`
        : undefined;
    });
  }
}

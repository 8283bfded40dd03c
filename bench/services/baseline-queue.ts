import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { createRedis } from '../../apps/scheduler/src/infrastructure.module';
import { LAUNCH_WORK_OPTIONS, queuePrefix } from '@rjs/queue';

export interface BaselineServiceOptions {
  redisUrl: string;
  queueName: string;
  bodyLimit: number;
}

/**
 * What the baselines do per request: one BullMQ `queue.add` of the parsed body, with the options
 * and the kind of connection the scheduler uses (createRedis: fail fast, no offline queue).
 * A queue of their own, so that they never mix with the scheduler's launch queue.
 */
export class BaselineQueue {
  private readonly redis;
  private readonly queue: Queue;

  constructor(redisUrl: string, name: string) {
    this.redis = createRedis(redisUrl);
    // Keys laid out as the scheduler's are (a hash-tagged prefix), under a tag of their own.
    this.queue = new Queue(name, { connection: this.redis, prefix: queuePrefix('bench-baseline') });
    this.queue.on('error', () => undefined);
  }

  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  async add(body: unknown): Promise<{ name: string; status: string }> {
    const name = `baseline-${randomUUID()}`;
    await this.queue.add('launch', body ?? {}, { ...LAUNCH_WORK_OPTIONS, jobId: name });
    return { name, status: 'Waiting' };
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { loadConfig } from '@rjs/config';
import { JobAcceptor, type JobComponent, type JobScheduleDescription, type ResolvedJob, systemClock, type WorkQueue } from '@rjs/core';
import { BullMqWorkQueue, controlQueueName, dispatchQueueName, launchQueueName, queuePrefix } from '@rjs/queue';
import { RedisStatusStore } from '@rjs/store';
import { BENCH_RADIX_CONFIG } from './paths';

/** The component the benchmarks schedule (bench/radixconfig.yaml). */
export function benchComponent(): JobComponent {
  return loadConfig({ RADIX_CONFIG: BENCH_RADIX_CONFIG, REDIS_URL: 'redis://127.0.0.1:6379' }).component;
}

/** A queue that takes nothing: seeded records are for reading, no worker is meant to launch them. */
export const noQueue: WorkQueue = {
  enqueueDispatch: async () => undefined,
  enqueueLaunch: async () => undefined,
  cancelLaunch: async () => undefined,
  enqueueStop: async () => undefined,
  enqueueRemove: async () => undefined,
};

export const smallJob = (i: number): JobScheduleDescription => ({ jobId: `job-${i}`, payload: `{"i": ${i}}` });
/** Without a payload, a launch is one Kubernetes API call (the Job), as a bare createNamespacedJob is. */
export const jobWithoutPayload = (i: number): JobScheduleDescription => ({ jobId: `job-${i}` });

/**
 * Writes status records fast through the real write path (JobAcceptor and RedisStatusStore, the
 * code behind POST /jobs and /batches, without HTTP), with `queue` (default: none) as the queue.
 */
export class Seeder {
  readonly redis: Redis;
  readonly acceptor: JobAcceptor;
  readonly store: RedisStatusStore;

  private readonly queue?: BullMqWorkQueue;

  /** `queue`: hand the jobs to the component's real queues (for a worker to launch), or not. */
  constructor(redisUrl: string, { queue = false }: { queue?: boolean } = {}) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const component = benchComponent();
    if (queue) {
      this.queue = new BullMqWorkQueue(
        new Queue(launchQueueName(component.name), { connection: this.redis, prefix: queuePrefix(component.name) }),
        new Queue(dispatchQueueName(component.name), { connection: this.redis, prefix: queuePrefix(component.name) }),
        new Queue(controlQueueName(component.name), { connection: this.redis, prefix: queuePrefix(component.name) }),
      );
    }
    this.store = new RedisStatusStore(this.redis, component.name);
    this.acceptor = new JobAcceptor(component, this.store, this.queue ?? noQueue, systemClock);
  }

  /** `count` single jobs, `concurrency` at a time; returns their names in creation order. */
  async singleJobs(count: number, concurrency = 200): Promise<string[]> {
    const names: string[] = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const { jobs, handedOff } = await this.acceptor.acceptJob(smallJob(i));
        await handedOff;
        names[i] = jobs[0].name;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return names;
  }

  /** The component's queues, when the seeder queues the jobs it accepts. */
  get workQueue(): BullMqWorkQueue | undefined {
    return this.queue;
  }

  /** The component's launch queue, when the seeder queues the jobs it accepts. */
  get launchQueue(): Queue | undefined {
    return this.queue?.launchQueue;
  }

  /** One batch of `size` jobs, queued when the seeder queues; returns the batch name and its job names. */
  async batch(size: number, item: (i: number) => JobScheduleDescription = smallJob): Promise<{ name: string; jobNames: string[] }> {
    const { batch, handedOff } = await this.acceptor.acceptBatch({ jobScheduleDescriptions: Array.from({ length: size }, (_, i) => item(i)) });
    await handedOff;
    return { name: batch.name, jobNames: batch.jobNames };
  }

  /** The resolved jobs as stored (what a worker hands to the runtime). */
  async specs(names: string[]): Promise<ResolvedJob[]> {
    const specs = await Promise.all(names.map((name) => this.store.getSpec(name)));
    return specs.map((spec, i) => {
      if (!spec) throw new Error(`no spec for ${names[i]}`);
      return spec;
    });
  }

  async close(): Promise<void> {
    if (this.queue) await Promise.all(this.queue.queues.map((queue) => queue.close()));
    await this.redis.quit();
  }
}

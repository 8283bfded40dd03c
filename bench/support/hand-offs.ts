import { Worker } from 'bullmq';
import { DispatchExpansion } from '@rjs/core';
import { dispatchQueueName, type DispatchWork, queuePrefix } from '@rjs/queue';
import { benchComponent, Seeder } from './seed';

export interface HandOffExpansion {
  /** Hand-offs not yet turned into launch work (waiting or in hand). */
  pending(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The worker's part of the API's hand-offs, as its DispatchProcessor does it (DispatchExpansion,
 * one hand-off at a time), for the benchmark component on `redisUrl`: a scheduler with the worker
 * role would also launch the jobs.
 */
export function startHandOffWorker(redisUrl: string): HandOffExpansion {
  const seeder = new Seeder(redisUrl, { queue: true });
  const queues = seeder.workQueue!;
  const expansion = new DispatchExpansion(seeder.store, queues);
  const component = benchComponent().name;
  const worker = new Worker<DispatchWork>(dispatchQueueName(component), (work) => expansion.expand(work.data.jobNames, work.timestamp), {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix: queuePrefix(component),
    concurrency: 1,
  });
  return {
    async pending() {
      const counts = await queues.dispatchQueue.getJobCounts('wait', 'active');
      return counts.wait + counts.active;
    },
    async close() {
      await worker.close();
      await seeder.close();
    },
  };
}

import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkQueue } from '@rjs/core';
import {
  type ControlAction,
  type ControlWork,
  controlJobId,
  controlQueueName,
  launchJobId,
  launchQueueName,
  type LaunchWork,
} from './queue-names';

/**
 * Retries cover a runtime that is unavailable for a while (API server down, throttling): about
 * 20 attempts with exponential backoff capped by BullMQ's own growth give well over an hour.
 */
export const WORK_OPTIONS: JobsOptions = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 1000 },
  // Keep some history for the queue UI; the status records are the source of truth.
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

export class BullMqWorkQueue implements WorkQueue {
  readonly launchQueue: Queue<LaunchWork>;
  readonly controlQueue: Queue<ControlWork>;

  /** `onError` receives connection errors (Redis down); without a listener BullMQ prints them to the console. */
  constructor(connection: Redis, component: string, onError: (error: Error) => void = () => undefined) {
    this.launchQueue = new Queue<LaunchWork>(launchQueueName(component), { connection });
    this.controlQueue = new Queue<ControlWork>(controlQueueName(component), { connection });
    this.launchQueue.on('error', onError);
    this.controlQueue.on('error', onError);
  }

  async enqueueLaunch(jobNames: string[]): Promise<void> {
    if (jobNames.length === 0) return;
    await this.launchQueue.addBulk(
      jobNames.map((jobName) => ({ name: 'launch', data: { jobName }, opts: { ...WORK_OPTIONS, jobId: launchJobId(jobName) } })),
    );
  }

  async cancelLaunch(jobNames: string[]): Promise<void> {
    // A job that a worker already holds is locked and stays; the worker skips it (the record is final or gone).
    await Promise.all(jobNames.map((name) => this.launchQueue.remove(launchJobId(name)).catch(() => 0)));
  }

  enqueueStop(jobNames: string[]): Promise<void> {
    return this.enqueueControl('stop', jobNames);
  }

  enqueueRemove(jobNames: string[]): Promise<void> {
    return this.enqueueControl('remove', jobNames);
  }

  private async enqueueControl(action: ControlAction, jobNames: string[]): Promise<void> {
    if (jobNames.length === 0) return;
    await this.controlQueue.addBulk(
      jobNames.map((jobName) => ({ name: action, data: { action, jobName }, opts: { ...WORK_OPTIONS, jobId: controlJobId(action, jobName) } })),
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.launchQueue.close(), this.controlQueue.close()]);
  }
}

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import type { WorkQueue } from '@rjs/core';
import {
  type ControlAction,
  type ControlWork,
  controlJobId,
  LAUNCH_BACKOFF_TYPE,
  launchJobId,
  type LaunchWork,
} from './queue-names';

// Keep some history for the queue UI; the status records are the source of truth.
const HISTORY: JobsOptions = {
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

/**
 * Retries cover a runtime that is unavailable for a while (API server down, throttling). They end
 * at the give-up time (LAUNCH_RETRY_TIMEOUT_SECONDS), not after a count; the workers' backoff
 * strategy caps each wait.
 */
export const LAUNCH_WORK_OPTIONS: JobsOptions = {
  ...HISTORY,
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: LAUNCH_BACKOFF_TYPE },
};

/** Stops and removals: 20 attempts with BullMQ's exponential backoff; recovery queues a lost stop again. */
export const CONTROL_WORK_OPTIONS: JobsOptions = {
  ...HISTORY,
  attempts: 20,
  backoff: { type: 'exponential', delay: 1000 },
};

/**
 * The names the two queues are registered and injected under (BullModule.registerQueue,
 * @InjectQueue). Their names in Redis depend on the component: see queue-names.ts.
 */
export const LAUNCH_QUEUE = 'launch';
export const CONTROL_QUEUE = 'control';

/** The producer: the API and recovery queue work here; Nest creates and closes the queues. */
@Injectable()
export class BullMqWorkQueue implements WorkQueue {
  constructor(
    @InjectQueue(LAUNCH_QUEUE) readonly launchQueue: Queue<LaunchWork>,
    @InjectQueue(CONTROL_QUEUE) readonly controlQueue: Queue<ControlWork>,
  ) {}

  /** Connection errors (Redis down) go here; without a listener BullMQ prints them to the console. */
  onError(listener: (error: Error) => void): void {
    this.launchQueue.on('error', listener);
    this.controlQueue.on('error', listener);
  }

  async enqueueLaunch(jobNames: string[]): Promise<void> {
    if (jobNames.length === 0) return;
    await this.launchQueue.addBulk(
      jobNames.map((jobName) => ({ name: 'launch', data: { jobName }, opts: { ...LAUNCH_WORK_OPTIONS, jobId: launchJobId(jobName) } })),
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
      jobNames.map((jobName) => ({ name: action, data: { action, jobName }, opts: { ...CONTROL_WORK_OPTIONS, jobId: controlJobId(action, jobName) } })),
    );
  }
}

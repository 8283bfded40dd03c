import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import type { JobRun, WorkQueue } from '@rjs/core';
import {
  bullPriority,
  CONTROL_BACKOFF_TYPE,
  type ControlAction,
  type ControlWork,
  controlJobId,
  type DispatchWork,
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

/**
 * Stops and removals are retried until they go through, each wait capped by the workers' backoff
 * strategy (CONTROL_BACKOFF_TYPE), so a stop that met a Kubernetes API down for hours lands within a
 * minute of its return. (BullMQ's own exponential backoff had waited 2^n s, days by the 20th attempt,
 * and work that used up its attempts stayed failed under its id for days, so that recovery's
 * re-queue of the stop, under the same id, was a no-op.) Permanent errors end the work at once.
 */
export const CONTROL_WORK_OPTIONS: JobsOptions = {
  ...HISTORY,
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: CONTROL_BACKOFF_TYPE },
};

/**
 * A hand-off is retried until it goes through (its errors are Redis's), each wait capped as control
 * work's. Done hand-offs are not kept: one may name 10,000 jobs, whose launch work has its own history.
 */
export const DISPATCH_WORK_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: HISTORY.removeOnFail,
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: CONTROL_BACKOFF_TYPE },
};

/**
 * The names the queues are registered and injected under (BullModule.registerQueue,
 * @InjectQueue). Their names in Redis depend on the component: see queue-names.ts.
 */
export const LAUNCH_QUEUE = 'launch';
export const DISPATCH_QUEUE = 'dispatch';
export const CONTROL_QUEUE = 'control';

/** The producer: the API and recovery queue work here; Nest creates and closes the queues. */
@Injectable()
export class BullMqWorkQueue implements WorkQueue {
  constructor(
    @InjectQueue(LAUNCH_QUEUE) readonly launchQueue: Queue<LaunchWork>,
    @InjectQueue(DISPATCH_QUEUE) readonly dispatchQueue: Queue<DispatchWork>,
    @InjectQueue(CONTROL_QUEUE) readonly controlQueue: Queue<ControlWork>,
  ) {}

  /** Every queue of the component's work, for the queue UI and the metrics. */
  get queues(): Queue[] {
    return [this.launchQueue, this.dispatchQueue, this.controlQueue];
  }

  /** Connection errors (Redis down) go here; without a listener BullMQ prints them to the console. */
  onError(listener: (error: Error) => void): void {
    for (const queue of this.queues) queue.on('error', listener);
  }

  async enqueueDispatch(jobNames: string[]): Promise<void> {
    if (jobNames.length === 0) return;
    await this.dispatchQueue.add('dispatch', { jobNames }, DISPATCH_WORK_OPTIONS);
  }

  async enqueueLaunch(runs: JobRun[], queuedAtMs?: number): Promise<void> {
    if (runs.length === 0) return;
    const since: JobsOptions = queuedAtMs === undefined ? {} : { timestamp: queuedAtMs };
    await this.launchQueue.addBulk(
      runs.map((run) => ({
        name: 'launch',
        data: workData(run),
        opts: { ...LAUNCH_WORK_OPTIONS, ...since, jobId: launchJobId(run.name, run.generation), priority: bullPriority(run.priority) },
      })),
    );
  }

  async cancelLaunch(runs: JobRun[]): Promise<void> {
    // A job that a worker already holds is locked and stays; the worker skips it (the record is final or gone).
    await Promise.all(runs.map((run) => this.launchQueue.remove(launchJobId(run.name, run.generation)).catch(() => 0)));
  }

  enqueueStop(runs: JobRun[]): Promise<void> {
    return this.enqueueControl('stop', runs);
  }

  /** One removal per job, whatever run it was at: its id is that of the first run. */
  enqueueRemove(jobNames: string[]): Promise<void> {
    return this.enqueueControl('remove', jobNames.map((name) => ({ name, generation: 0 })));
  }

  private async enqueueControl(action: ControlAction, runs: JobRun[]): Promise<void> {
    if (runs.length === 0) return;
    await this.controlQueue.addBulk(
      runs.map((run) => ({
        name: action,
        data: { action, ...workData(run) },
        opts: { ...CONTROL_WORK_OPTIONS, jobId: controlJobId(action, run.name, run.generation) },
      })),
    );
  }
}

/** The first run's work has no generation field, as work queued before restarts existed. */
function workData({ name, generation }: JobRun): { jobName: string; generation?: number } {
  return generation > 0 ? { jobName: name, generation } : { jobName: name };
}

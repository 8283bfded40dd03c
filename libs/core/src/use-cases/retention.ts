import type { Clock, StatusStore, WorkQueue } from '../ports';
import { queueRuntimeRemoval } from './delete-jobs';

/**
 * How much one step takes on. Every Redis call of a step is small (a batch is removed in one step,
 * as it was created in one), and the process awaits each, so a million expired records are worked
 * off in many short steps between which other clients and requests are served.
 */
export const RETENTION_STEP = { batches: 100, jobs: 1000 } as const;

export interface RetentionStepResult {
  /** Job records removed in this step. */
  jobs: number;
  /** True while more expired batches may be waiting. */
  more: boolean;
}

/**
 * Removes finished batches (a single job is a batch of one) once their last job ended
 * `retentionSeconds` ago, and hands what the runtime keeps for their jobs to a worker, as a DELETE
 * does. Any number of processes may run it at once: the store re-checks expiry atomically for each
 * batch, so a batch two of them pick is removed once, and an unfinished job is never touched.
 */
export class RetentionSweeper {
  constructor(
    private readonly store: StatusStore,
    private readonly queue: WorkQueue,
    private readonly clock: Clock,
    private readonly retentionSeconds: number,
    private readonly onQueueFailure: (error: unknown) => void = () => undefined,
  ) {
    if (!(retentionSeconds > 0)) throw new Error(`retention needs a positive period, got ${retentionSeconds} seconds`);
  }

  /**
   * Steps until nothing expired is left or `shouldStop` answers true between steps; `onStep` hears
   * of each step. Resolves with the number of job records removed.
   */
  async sweep(onStep: (step: RetentionStepResult) => void = () => undefined, shouldStop: () => boolean = () => false): Promise<number> {
    let removed = 0;
    for (;;) {
      const step = await this.step();
      removed += step.jobs;
      onStep(step);
      if (!step.more || shouldStop()) return removed;
    }
  }

  /** Removes up to RETENTION_STEP.batches expired batches, stopping early past RETENTION_STEP.jobs jobs. */
  async step(): Promise<RetentionStepResult> {
    const cutoff = new Date(this.clock.now().getTime() - this.retentionSeconds * 1000);
    const names = await this.store.listExpiredBatches(cutoff, RETENTION_STEP.batches);
    let removed: string[] = [];
    let taken = 0;
    while (taken < names.length && removed.length < RETENTION_STEP.jobs) {
      // concat, not push(...): a batch may hold more jobs than a call may take arguments.
      removed = removed.concat(await this.store.removeExpiredBatch(names[taken++], cutoff));
    }
    await queueRuntimeRemoval(this.store, this.queue, removed, this.onQueueFailure);
    return { jobs: removed.length, more: taken < names.length || names.length === RETENTION_STEP.batches };
  }
}

import { JobStatus } from '../job-status';
import type { StatusStore, WorkQueue } from '../ports';
import { type JobRecord, runOf } from '../records';

/**
 * The worker's half of a hand-off (WorkQueue.enqueueDispatch): the jobs handed over together get
 * launch work, one per run, aged from the hand-off. Each is queued for the run its record waits
 * with; a job no longer Waiting (stopped or deleted since) is left out, as recovery leaves it out:
 * its launch would find nothing to do. Queueing twice adds once (launch work ids are per run),
 * so a hand-off that a crash interrupts is simply done again.
 */
export class DispatchExpansion {
  constructor(
    private readonly store: StatusStore,
    private readonly queue: WorkQueue,
  ) {}

  /** Returns how many runs were queued. */
  async expand(jobNames: string[], handedOverAtMs?: number): Promise<number> {
    const records = await this.store.getJobs(jobNames);
    const waiting = records.filter((record): record is JobRecord => record?.status === JobStatus.Waiting).map(runOf);
    await this.queue.enqueueLaunch(waiting, handedOverAtMs);
    return waiting.length;
  }
}

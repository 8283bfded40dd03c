import { badRequest, notFound } from '../errors';
import type { StatusStore, WorkQueue } from '../ports';

/**
 * Deleting removes the records at once (and with them every queued launch, which the worker then
 * skips) and hands the removal of runtime objects to a worker. The cleanup outbox, written in the
 * same step as the deletion, makes sure that removal is queued even after a crash.
 */
export class JobRemover {
  constructor(
    private readonly store: StatusStore,
    private readonly queue: WorkQueue,
    private readonly onQueueFailure: (error: unknown) => void = () => undefined,
  ) {}

  /** Only single jobs can be deleted with this method, as the API documents. */
  async deleteSingleJob(name: string): Promise<void> {
    const record = await this.store.getJob(name);
    if (!record) throw notFound(`job ${name}`);
    if (record.batchType !== 'job') {
      throw badRequest(`job ${name} belongs to the batch ${record.batchName}: delete the batch with DELETE /api/v1/batches/${record.batchName}`);
    }
    await this.delete(record.batchName);
  }

  async deleteBatch(batchName: string): Promise<void> {
    const batch = await this.store.getBatch(batchName);
    if (!batch || batch.batchType !== 'batch') throw notFound(`batch ${batchName}`);
    await this.delete(batchName);
  }

  private async delete(batchName: string): Promise<void> {
    const runs = await this.store.deleteBatch(batchName);
    try {
      await this.queue.cancelLaunch(runs);
    } catch (error) {
      this.onQueueFailure(error);
    }
    await queueRuntimeRemoval(this.store, this.queue, runs.map((run) => run.name), this.onQueueFailure);
  }
}

/**
 * Hands the removal of what the runtime keeps for removed jobs to a worker. The cleanup outbox,
 * written in the same step as the removal, keeps the names until this succeeds: a failure here is
 * only reported, and recovery queues the removal later.
 */
export async function queueRuntimeRemoval(store: StatusStore, queue: WorkQueue, jobNames: string[], onFailure: (error: unknown) => void): Promise<void> {
  try {
    await queue.enqueueRemove(jobNames);
    await store.markCleaned(jobNames);
  } catch (error) {
    onFailure(error);
  }
}

import { badRequest } from '../errors';
import type { StatusStore } from '../ports';
import type { AcceptedBatch, JobAcceptor, StoredJob } from './accept-jobs';
import { batchToReuse, recordToReuse, specToReuse } from './stored-jobs';

export interface CopyOptions {
  /** Replaces the image tag of every job copied. */
  imageTagName?: string;
}

/**
 * Copy: a new single job or batch, with new names, of the stored specs and payloads of an existing
 * one, accepted as a create is (the same atomic step and dispatch). The original is untouched.
 */
export class JobCopier {
  constructor(
    private readonly store: StatusStore,
    private readonly acceptor: JobAcceptor,
  ) {}

  /** Only single jobs can be copied with this method; a job of a batch is copied with its batch. */
  async copySingleJob(name: string, options: CopyOptions): Promise<AcceptedBatch> {
    const record = await recordToReuse(this.store, name, 'copied');
    if (record.batchType !== 'job') {
      throw badRequest(`job ${name} belongs to the batch ${record.batchName}: copy the batch with POST /api/v1/batches/${record.batchName}/copy`);
    }
    return this.acceptor.acceptStored('job', undefined, await this.read([name], options));
  }

  /** The batch's batchId is copied with it. */
  async copyBatch(batchName: string, options: CopyOptions): Promise<AcceptedBatch> {
    const batch = await batchToReuse(this.store, batchName, 'copied');
    return this.acceptor.acceptStored('batch', batch.batchId, await this.read(batch.jobNames, options));
  }

  private async read(names: string[], { imageTagName }: CopyOptions): Promise<StoredJob[]> {
    const stored = await Promise.all(names.map((name) => Promise.all([this.store.getSpec(name), this.store.getPayload(name)])));
    return stored.map(([spec, payload], i) => {
      const copied = specToReuse(names[i], spec, payload !== undefined, 'copied');
      return { spec: imageTagName === undefined ? copied : { ...copied, imageTagName }, payload };
    });
  }
}

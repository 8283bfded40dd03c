import { DomainError, ErrorCode } from '../errors';
import type { ResolvedJob } from '../job-spec';
import type { StatusStore } from '../ports';
import type { BatchRecord, JobRecord } from '../records';

/**
 * Restart and copy run a job again from its stored spec and payload, which stay in Redis as long
 * as its record. When they are gone the answer is a 404 that says why: the job was deleted or
 * removed by retention, or it was launched by a version that kept a payload only until launch.
 */
export type ReuseVerb = 'restarted' | 'copied';

const gone = (message: string) => new DomainError(ErrorCode.NotFound, message);

/** Not found, naming the reasons a job that existed may be gone. */
export const jobGone = (name: string, verb: ReuseVerb) =>
  gone(`job ${name} is not found, so it cannot be ${verb}: it never existed, was deleted, or was removed by retention with its spec and payload`);

export async function recordToReuse(store: StatusStore, name: string, verb: ReuseVerb): Promise<JobRecord> {
  const record = await store.getJob(name);
  if (!record) throw jobGone(name, verb);
  return record;
}

/** The spec of a job that can run again: stored, and with its payload stored when it has one. */
export function specToReuse(name: string, spec: ResolvedJob | undefined, payloadStored: boolean, verb: ReuseVerb): ResolvedJob {
  if (!spec) throw gone(`job ${name} cannot be ${verb}: its stored spec is gone`);
  if (spec.hasPayload && !payloadStored) {
    throw gone(`job ${name} cannot be ${verb}: its payload is no longer stored (the scheduler version that launched it kept a payload only until launch)`);
  }
  return spec;
}

/** A batch (not a single job's) that restart or copy can find. */
export async function batchToReuse(store: StatusStore, name: string, verb: ReuseVerb): Promise<BatchRecord> {
  const batch = await store.getBatch(name);
  if (!batch || batch.batchType !== 'batch') {
    throw gone(`batch ${name} is not found, so it cannot be ${verb}: it never existed, was deleted, or was removed by retention with its specs and payloads`);
  }
  return batch;
}

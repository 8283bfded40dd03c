import { InvalidRequestError } from '../errors';
import { type BatchScheduleDescription, type BatchType, isPayloadGiven, type JobComponent, type JobScheduleDescription, type ResolvedJob } from '../job-spec';
import { JobStatus } from '../job-status';
import { resolveJob } from '../merge';
import { makeBatchName, makeJobName, type RandomSource, randomSuffix } from '../naming';
import type { Clock, StatusStore, WorkQueue } from '../ports';
import { type BatchRecord, type JobRecord, type NewBatch, rfc3339 } from '../records';
import { checkResolvedJob } from '../validation';
import { DomainError, ErrorCode } from '../errors';
import { LaunchDispatch } from './launch-dispatch';

export interface AcceptedBatch {
  batch: BatchRecord;
  jobs: JobRecord[];
}

/** A name clash is retried with fresh random parts; names are never reused. */
const NAME_ATTEMPTS = 5;

/**
 * Accepts a single job or a batch: resolves every job's options, checks the rules that need the
 * merged result, records everything with status Waiting and hands the jobs to the queue.
 * The records and the dispatch outbox are written in one atomic step before the queue is touched,
 * so a crash at any point leaves either nothing or records that recovery will dispatch.
 */
export class JobAcceptor {
  private readonly dispatch: LaunchDispatch;

  constructor(
    private readonly component: JobComponent,
    private readonly store: StatusStore,
    queue: WorkQueue,
    private readonly clock: Clock,
    private readonly random: RandomSource = randomSuffix,
    private readonly onDispatchFailure: (error: unknown) => void = () => undefined,
  ) {
    this.dispatch = new LaunchDispatch(queue, store);
  }

  acceptJob(description: JobScheduleDescription): Promise<AcceptedBatch> {
    return this.accept('job', undefined, undefined, [description], '');
  }

  acceptBatch(description: BatchScheduleDescription): Promise<AcceptedBatch> {
    if (!description.jobScheduleDescriptions?.length) {
      throw new InvalidRequestError([{ path: 'jobScheduleDescriptions', message: 'must contain at least one job' }]);
    }
    return this.accept('batch', description.batchId, description.defaultRadixJobComponentConfig, description.jobScheduleDescriptions, 'jobScheduleDescriptions');
  }

  private async accept(
    batchType: BatchType,
    batchId: string | undefined,
    defaults: BatchScheduleDescription['defaultRadixJobComponentConfig'],
    items: JobScheduleDescription[],
    itemsPath: string,
  ): Promise<AcceptedBatch> {
    const now = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      const created = this.build(batchType, batchId, defaults, items, itemsPath, now);
      try {
        await this.store.create(created);
      } catch (error) {
        if (error instanceof DomainError && error.code === ErrorCode.Conflict && attempt < NAME_ATTEMPTS) continue;
        throw error;
      }
      const names = created.batch.jobNames;
      // Accepted: the outbox guarantees dispatch, so a queue failure here must not fail the request.
      try {
        await this.dispatch.dispatch(names);
      } catch (error) {
        this.onDispatchFailure(error);
      }
      return { batch: created.batch, jobs: created.jobs.map((j) => j.record) };
    }
  }

  private build(
    batchType: BatchType,
    batchId: string | undefined,
    defaults: BatchScheduleDescription['defaultRadixJobComponentConfig'],
    items: JobScheduleDescription[],
    itemsPath: string,
    now: Date,
  ): NewBatch {
    const batchName = makeBatchName(this.component.name, now, this.random);
    const created = rfc3339(now);
    const usedNames = new Set<string>();
    const problems = [];
    const jobs: NewBatch['jobs'] = [];
    for (const [index, item] of items.entries()) {
      let name = makeJobName(batchName, this.random);
      while (usedNames.has(name)) name = makeJobName(batchName, this.random);
      usedNames.add(name);
      const payload = isPayloadGiven(item.payload) ? item.payload : undefined;
      const spec: ResolvedJob = resolveJob(this.component, defaults, item, {
        name,
        batchName,
        batchType,
        jobId: item.jobId,
        hasPayload: payload !== undefined,
      });
      const path = itemsPath ? `${itemsPath}[${index}]` : '';
      problems.push(...checkResolvedJob(spec, payload, path));
      const record: JobRecord = {
        name,
        jobId: item.jobId,
        batchName,
        batchType,
        created,
        updated: created,
        status: JobStatus.Waiting,
        failed: 0,
        podStatuses: [],
      };
      if (record.jobId === undefined) delete record.jobId;
      jobs.push({ record, spec, payload });
    }
    if (problems.length) throw new InvalidRequestError(problems);
    const batch: BatchRecord = { name: batchName, batchType, created, jobNames: jobs.map((j) => j.record.name) };
    if (batchId !== undefined) batch.batchId = batchId;
    return { batch, jobs };
  }
}

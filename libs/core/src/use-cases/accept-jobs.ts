import { type FieldProblem, InvalidRequestError } from '../errors';
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

/** A job to record again under a new name (a copy): its resolved spec and payload as stored. */
export interface StoredJob {
  spec: ResolvedJob;
  payload?: string;
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

  /**
   * Records jobs whose specs were resolved and checked before (a copy) as a new batch: new names,
   * status Waiting, the same specs and payloads otherwise.
   */
  acceptStored(batchType: BatchType, batchId: string | undefined, jobs: StoredJob[]): Promise<AcceptedBatch> {
    return this.record((now) =>
      this.newBatch(batchType, batchId, now, jobs, (job, name, batchName) => ({
        spec: { ...job.spec, name, batchName, batchType },
        payload: job.payload,
      })),
    );
  }

  private accept(
    batchType: BatchType,
    batchId: string | undefined,
    defaults: BatchScheduleDescription['defaultRadixJobComponentConfig'],
    items: JobScheduleDescription[],
    itemsPath: string,
  ): Promise<AcceptedBatch> {
    return this.record((now) => {
      const problems: FieldProblem[] = [];
      const created = this.newBatch(batchType, batchId, now, items, (item, name, batchName, index) => {
        const payload = isPayloadGiven(item.payload) ? item.payload : undefined;
        const spec: ResolvedJob = resolveJob(this.component, defaults, item, {
          name,
          batchName,
          batchType,
          jobId: item.jobId,
          hasPayload: payload !== undefined,
        });
        problems.push(...checkResolvedJob(spec, payload, itemsPath ? `${itemsPath}[${index}]` : ''));
        return { spec, payload };
      });
      if (problems.length) throw new InvalidRequestError(problems);
      return created;
    });
  }

  /** Writes the batch `build` makes (again, with fresh names, on a name clash), then dispatches its jobs. */
  private async record(build: (now: Date) => NewBatch): Promise<AcceptedBatch> {
    const now = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      const created = build(now);
      try {
        await this.store.create(created);
      } catch (error) {
        if (error instanceof DomainError && error.code === ErrorCode.Conflict && attempt < NAME_ATTEMPTS) continue;
        throw error;
      }
      const names = created.batch.jobNames;
      // Accepted: the outbox guarantees dispatch, so a queue failure here must not fail the request.
      try {
        await this.dispatch.dispatch(names.map((name) => ({ name, generation: 0 })));
      } catch (error) {
        this.onDispatchFailure(error);
      }
      return { batch: created.batch, jobs: created.jobs.map((j) => j.record) };
    }
  }

  /** A batch with fresh names whose jobs `makeJob` makes from `items`, each recorded Waiting. */
  private newBatch<T>(
    batchType: BatchType,
    batchId: string | undefined,
    now: Date,
    items: T[],
    makeJob: (item: T, name: string, batchName: string, index: number) => StoredJob,
  ): NewBatch {
    const batchName = makeBatchName(this.component.name, now, this.random);
    const created = rfc3339(now);
    const usedNames = new Set<string>();
    const jobs: NewBatch['jobs'] = [];
    for (const [index, item] of items.entries()) {
      let name = makeJobName(batchName, this.random);
      while (usedNames.has(name)) name = makeJobName(batchName, this.random);
      usedNames.add(name);
      const { spec, payload } = makeJob(item, name, batchName, index);
      const record: JobRecord = {
        name,
        jobId: spec.jobId,
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
    const batch: BatchRecord = { name: batchName, batchType, created, jobNames: jobs.map((j) => j.record.name) };
    if (batchId !== undefined) batch.batchId = batchId;
    return { batch, jobs };
  }
}

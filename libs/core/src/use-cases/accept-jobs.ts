import { type FieldProblem, InvalidRequestError } from '../errors';
import { type BatchScheduleDescription, type BatchType, isPayloadGiven, type JobComponent, type JobScheduleDescription, type ResolvedJob } from '../job-spec';
import { JobStatus } from '../job-status';
import { resolveJob } from '../merge';
import { makeBatchName, makeJobName, type RandomSource, randomSuffix } from '../naming';
import type { Clock, CreateOutcome, IdempotencyEntry, IdempotentRequest, StatusStore, WorkQueue } from '../ports';
import { type BatchRecord, type JobRecord, type NewBatch, rfc3339, runOf } from '../records';
import { checkResolvedJob } from '../validation';
import { conflict, DomainError, ErrorCode, notFound, WriteOutcomeUnknownError } from '../errors';
import type { InDoubtAccepts } from './in-doubt-accepts';
import { LaunchDispatch } from './launch-dispatch';

export interface AcceptedBatch {
  batch: BatchRecord;
  jobs: JobRecord[];
  /**
   * Settles (never rejects) once the jobs are in the launch queue, or their hand-off failed and is
   * left to recovery. Accepting does not wait for it: the outbox written with the records already
   * guarantees the launch.
   */
  handedOff: Promise<void>;
}

/** A job to record again under a new name (a copy): its resolved spec and payload as stored. */
export interface StoredJob {
  spec: ResolvedJob;
  payload?: string;
}

/** A name clash is retried with fresh random parts; names are never reused. */
const NAME_ATTEMPTS = 5;

/**
 * Past this many runs waiting for the launch queue (the queue's Redis is slow or down), an accept
 * waits for its own hand-off, so that what this process holds for the queue stays bounded.
 */
export const MAX_RUNS_AWAITING_HANDOFF = 20_000;

/**
 * Accepts a single job or a batch: resolves every job's options, checks the rules that need the
 * merged result, records everything with status Waiting and hands the jobs to the queue.
 * The records and the dispatch outbox are written in one atomic step before the queue is touched,
 * so a crash at any point leaves either nothing or records that recovery will dispatch. That step
 * is what accepting waits for: the hand-off to the queue follows it (group-committed with other
 * requests') while the answer is sent.
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
    private readonly inDoubt?: InDoubtAccepts,
  ) {
    this.dispatch = new LaunchDispatch(queue, store);
  }

  acceptJob(description: JobScheduleDescription, idempotency?: IdempotentRequest): Promise<AcceptedBatch> {
    return this.accept('job', undefined, undefined, [description], '', idempotency);
  }

  acceptBatch(description: BatchScheduleDescription, idempotency?: IdempotentRequest): Promise<AcceptedBatch> {
    if (!description.jobScheduleDescriptions?.length) {
      throw new InvalidRequestError([{ path: 'jobScheduleDescriptions', message: 'must contain at least one job' }]);
    }
    return this.accept('batch', description.batchId, description.defaultRadixJobComponentConfig, description.jobScheduleDescriptions, 'jobScheduleDescriptions', idempotency);
  }

  /**
   * A repeat of a request with an Idempotency-Key (the IETF httpapi draft): the batch that the key
   * names, as it is now, creates nothing. The key is written in the step that records the jobs, so
   * it never names jobs that do not exist, nor jobs without their key. Another request under the
   * key is refused (Invalid); so is a repeat while the first request is still being processed
   * (Conflict): its jobs are recorded but not yet handed to the launch queue.
   */
  private async answerRepeat(earlier: IdempotencyEntry, idempotency: IdempotentRequest): Promise<AcceptedBatch> {
    if (earlier.fingerprint !== idempotency.fingerprint) {
      throw new InvalidRequestError([
        { path: 'Idempotency-Key', message: 'was used with a different request (route or body) within the last 24 hours; a key stands for one request' },
      ]);
    }
    const batch = await this.store.getBatch(earlier.batchName);
    if (!batch) throw notFound(`the batch ${earlier.batchName} that this Idempotency-Key created (it was deleted since, or removed by retention)`);
    const first = batch.jobNames[0];
    if (await this.store.isDispatchPending(first)) {
      // The first request may be this process's, answered and its hand-off on its way: wait for that.
      await this.caughtUp();
      if (await this.store.isDispatchPending(first)) {
        throw conflict('a request with this Idempotency-Key is still being processed; repeat it once that one has been answered');
      }
    }
    const jobs = (await this.store.getJobs(batch.jobNames)).filter((job): job is JobRecord => job !== undefined);
    return { batch, jobs, handedOff: Promise.resolve() };
  }

  /** Resolves when every run this process handed to the queue before now is queued or failed. */
  private caughtUp(): Promise<void> {
    return this.dispatch.dispatch([]).catch(() => undefined);
  }

  /** Resolves once nothing waits for the launch queue (for shutdown: what fails is left to recovery). */
  drain(): Promise<void> {
    return this.dispatch.drain();
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
    idempotency?: IdempotentRequest,
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
    }, idempotency);
  }

  /** Writes the batch `build` makes (again, with fresh names, on a name clash), then dispatches its jobs. */
  private async record(build: (now: Date) => NewBatch, idempotency?: IdempotentRequest): Promise<AcceptedBatch> {
    const now = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      const created = build(now);
      let outcome: CreateOutcome;
      try {
        outcome = await this.store.create(created, idempotency);
      } catch (error) {
        if (error instanceof DomainError && error.code === ErrorCode.Conflict && attempt < NAME_ATTEMPTS) continue;
        // The caller hears an error: what may have landed is taken back once the store answers again.
        if (error instanceof WriteOutcomeUnknownError) this.inDoubt?.add(created.batch.name, idempotency?.key);
        throw error;
      }
      // A key that names this very batch: this write had landed on an earlier send (a resend after a broken connection).
      if (!outcome.created && outcome.earlier.batchName !== created.batch.name) return this.answerRepeat(outcome.earlier, idempotency!);
      // Accepted: the outbox guarantees dispatch, so a queue failure here must not fail the request.
      const handedOff = this.dispatch.dispatch(created.jobs.map(({ record }) => runOf(record))).catch(this.onDispatchFailure);
      if (this.dispatch.pendingRuns > MAX_RUNS_AWAITING_HANDOFF) await handedOff;
      return { batch: created.batch, jobs: created.jobs.map((j) => j.record), handedOff };
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
      if (spec.priority !== undefined) record.priority = spec.priority;
      jobs.push({ record, spec, payload });
    }
    const batch: BatchRecord = { name: batchName, batchType, created, jobNames: jobs.map((j) => j.record.name) };
    if (batchId !== undefined) batch.batchId = batchId;
    return { batch, jobs };
  }
}

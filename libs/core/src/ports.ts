import type { Readable } from 'node:stream';
import type { ResolvedJob } from './job-spec';
import type { JobStatus } from './job-status';
import type { Observation } from './observation';
import type { JobState } from './batch-status';
import type { BatchRecord, JobRecord, JobRun, NewBatch } from './records';

/** Receives what a runtime observes; the one write path for job status sits behind it. */
export type ObservationSink = (jobName: string, observation: Observation) => Promise<void>;

/**
 * Where jobs run: local child processes or Kubernetes Jobs. Every adapter passes the contract suite
 * in test/runtime-contract. Methods are idempotent: the queue may deliver the same work twice.
 */
export interface JobRuntime {
  readonly kind: 'local' | 'kubernetes';
  /**
   * Starts reporting observations to the sink and reconciles what the runtime already holds.
   * Resolves once the initial state has been reported (readiness).
   */
  start(sink: ObservationSink): Promise<void>;
  /**
   * Creates run `job.generation` of the job in the runtime. That run launched already counts as
   * success; an earlier run of the job (a restart) is ended and its runtime object removed first,
   * so the new run starts under the same name; a later run there means this launch is stale: a no-op.
   * Throws RuntimeUnavailableError when trying again later may work, PermanentLaunchError when not.
   */
  launch(job: ResolvedJob, payload: string | undefined): Promise<void>;
  /** Ends a launched job (the job then reports `stopped`); a job the runtime does not know is a no-op. */
  stop(jobName: string): Promise<void>;
  /** Removes everything the runtime keeps for the job; a job the runtime does not know is a no-op. */
  remove(jobName: string): Promise<void>;
  /** True when the runtime holds the job (for reconciling records whose runtime object vanished). */
  has(jobName: string): Promise<boolean>;
  /** False while the runtime's view may be stale (a watch is relisting); absent means always current. */
  isSynced?(): boolean;
  /** Stops observing and releases resources; running local jobs are stopped. */
  close(): Promise<void>;
}

/** Trying again later may succeed (API server down, throttled, no connection). */
export class RuntimeUnavailableError extends Error {
  override name = 'RuntimeUnavailableError';
}

/** Trying again will not help (invalid object, forbidden, no command to run). */
export class PermanentLaunchError extends Error {
  override name = 'PermanentLaunchError';
}

/** The sort key of an entry of a list index: its creation time (ms), then its name. */
export interface IndexEntry {
  score: number;
  name: string;
}

/**
 * The list indexes: single jobs (by job name), batches of type `batch` (by batch name), and the
 * Waiting jobs in launch order (`waiting`: the score orders priority, then arrival).
 */
export type ListIndex = 'singles' | 'batches' | 'waiting';

/** An Idempotency-Key and what identifies its request (a hash of the route and the canonical body). */
export interface IdempotentRequest {
  key: string;
  fingerprint: string;
}

/** What an Idempotency-Key names: the request it came with, and the batch that request created. */
export interface IdempotencyEntry {
  fingerprint: string;
  batchName: string;
}

/** What StatusStore.create did: wrote the batch, or found that its Idempotency-Key names an earlier one (nothing written). */
export type CreateOutcome = { created: true } | { created: false; earlier: IdempotencyEntry };

/** Taking a launch slot (MAX_ACTIVE_JOBS): held, none free, or the run is no longer Waiting. */
export type SlotTake = 'held' | 'full' | 'not-waiting';

export interface JobRecordChange {
  record?: JobRecord;
  changed: boolean;
}

/** One attempt of a job, as `podStatuses` lists it: number n (1-based) is `podStatuses[n - 1]`. */
export interface AttemptRef {
  jobName: string;
  attempt: number;
  /** The attempt's name in `podStatuses`: the pod's name on Kubernetes, `<job>-<n>` locally. */
  podName: string;
}

export interface LogReadOptions {
  /** Only the last this many lines of what was printed so far (0: none); absent: everything. */
  tailLines?: number;
  /** Keep the stream open and pass on new lines until the attempt ends, then end. */
  follow: boolean;
}

/**
 * What the attempts of a job printed, where the runtime keeps it (the local runtime's log files,
 * a pod's log on Kubernetes). Serves a process with the role api alone too: it needs no JobRuntime.
 * Every adapter passes the contract suite in test/runtime-contract/job-logs-contract.ts.
 */
export interface JobLogs {
  /**
   * Resolves once the output can be read, with a stream of it that is never held whole in memory.
   * Rejects with a DomainError NotFound when the runtime has no output of the attempt (not started,
   * or gone with its job or pod; the message says which), RuntimeUnavailableError when it cannot be
   * reached. Destroying the stream releases what it holds (files, watches, connections).
   */
  open(attempt: AttemptRef, options: LogReadOptions): Promise<Readable>;
}

export type WithdrawOutcome = 'withdrawn' | 'absent' | 'handedOff';

/** The status records in Redis. Each method is atomic. */
export interface StatusStore {
  /**
   * Writes batch, job records, specs, payloads, indexes and the dispatch outbox in one step; Conflict on a name clash.
   * With an Idempotency-Key, the key gets the batch's name in the same step, unless it names an
   * earlier batch already: then nothing is written and that one is answered.
   */
  create(batch: NewBatch, idempotency?: IdempotentRequest): Promise<CreateOutcome>;
  getJob(name: string): Promise<JobRecord | undefined>;
  getJobs(names: string[]): Promise<(JobRecord | undefined)[]>;
  /** Only what a batch's own state is derived from, of each job (undefined for one that is gone). */
  getJobStates(names: string[]): Promise<(JobState | undefined)[]>;
  getBatch(name: string): Promise<BatchRecord | undefined>;
  getBatches(names: string[]): Promise<(BatchRecord | undefined)[]>;
  /**
   * Up to `count` entries of a list index, oldest first, after the entry `after` (which may be gone
   * since) or from the first. Entries added or removed between calls never make a walk skip or
   * repeat an entry that stays.
   */
  readIndex(index: ListIndex, after: IndexEntry | undefined, count: number): Promise<IndexEntry[]>;
  /**
   * Up to `count` entries of a list index, newest first, before the entry `before` (which may be
   * gone since) or from the newest: the console's pages.
   */
  readIndexNewestFirst(index: ListIndex, before: IndexEntry | undefined, count: number): Promise<IndexEntry[]>;
  /** Single jobs (batches of type `job`), oldest first. */
  listSingleJobs(): Promise<JobRecord[]>;
  /** Batches of type `batch`, oldest first. */
  listBatches(): Promise<BatchRecord[]>;
  /** Names of jobs whose status is not final. */
  listUnfinishedJobNames(): Promise<string[]>;
  getSpec(name: string): Promise<ResolvedJob | undefined>;
  /** The payload stays, like the spec, until the job is deleted or removed by retention (restart and copy need it). */
  getPayload(name: string): Promise<string | undefined>;
  /** Whether the job's payload is stored, without reading it. */
  hasPayload(name: string): Promise<boolean>;
  /**
   * Compare-and-set: applies `change` to the current record; retried on a concurrent write, so a
   * change is always decided on the revision it lands on (an observation's generation included).
   * A change to a new generation (a restart) also puts the job in the dispatch outbox, and a batch
   * whose job leaves a final status counts as unfinished again, in the same atomic step.
   */
  update(name: string, change: (current: JobRecord) => JobRecord | undefined): Promise<JobRecordChange>;
  /** Removes a batch with its jobs and records their names in the cleanup outbox; returns the runs the jobs were at. */
  deleteBatch(name: string): Promise<JobRun[]>;
  /**
   * Takes back a batch that `create` may have written although its caller heard an error: removed
   * with its jobs only if, checked in the same atomic step, every job still waits in the dispatch
   * outbox (none was handed to the queue, so none has run); its Idempotency-Key goes too when it
   * names the batch. `absent` when the batch is not stored (the write never landed).
   */
  withdrawBatch(name: string, idempotencyKey?: string): Promise<WithdrawOutcome>;
  /** Batches (single jobs' too) whose jobs are all final and ended at or before `cutoff`, oldest first, at most `limit`. */
  listExpiredBatches(cutoff: Date, limit: number): Promise<string[]>;
  /**
   * deleteBatch, only if, checked in the same atomic step, every job of the batch is final and
   * ended at or before `cutoff`. Returns the names of the removed jobs ([] when nothing was removed).
   */
  removeExpiredBatch(name: string, cutoff: Date): Promise<string[]>;
  /**
   * Batches (single jobs' too) that may hold a job which ended at or after `since`: those with a job
   * not final, and those whose last job ended then or later. Read in one atomic step.
   */
  listBatchesEndedSince(since: Date): Promise<string[]>;
  /** When the batch that finished longest ago ended; undefined when no finished batch is stored. */
  oldestFinished(): Promise<Date | undefined>;
  /** Jobs accepted but not yet confirmed in the queue (crash recovery). */
  pendingDispatch(): Promise<string[]>;
  markDispatched(names: string[]): Promise<void>;
  /** Jobs deleted but not yet confirmed removed from the runtime. */
  pendingCleanup(): Promise<string[]>;
  markCleaned(names: string[]): Promise<void>;
  /** How many job records hold each status (every status present, 0 when none); kept in step by every write. */
  countByStatus(): Promise<Record<JobStatus, number>>;
  /** Whether an accepted job still waits in the dispatch outbox (its request may not have been answered yet). */
  isDispatchPending(name: string): Promise<boolean>;
  /** A Waiting job's place in the launch order (1: next), undefined when it is not in the index. */
  queuePosition(name: string): Promise<number | undefined>;
  /** How many Waiting jobs launch before the entry of the waiting index with this score. */
  countWaitingBefore(score: number): Promise<number>;
  /** Takes a launch slot for the run, if fewer than `cap` are taken (a job that holds one keeps it). */
  takeSlot(run: JobRun, cap: number): Promise<SlotTake>;
  /** How many launch slots are taken. */
  slotsInUse(): Promise<number>;
  /** Gives back the slots of jobs whose record is final or gone; returns their names. */
  reconcileSlots(): Promise<string[]>;
}

/**
 * The work queue between the API and the workers. Launch and stop work is per run: the work of a
 * restarted job's new run is queued anew, even while that of an earlier run is still known.
 */
export interface WorkQueue {
  /**
   * Hands jobs accepted together to the workers as one entry, which a worker turns into launch work
   * (DispatchExpansion): one queue write per hand-off where launch work is one per run. Like launch
   * work it is durable once this resolves and retried until it goes through.
   */
  enqueueDispatch(jobNames: string[]): Promise<void>;
  /** `queuedAtMs`: when the runs were handed over (the work's age counts from it); now when absent. */
  enqueueLaunch(runs: JobRun[], queuedAtMs?: number): Promise<void>;
  /** Removes launch work that no worker has taken yet; work already taken is skipped by the worker. */
  cancelLaunch(runs: JobRun[]): Promise<void>;
  enqueueStop(runs: JobRun[]): Promise<void>;
  /** Removal is of everything the runtime keeps for the job, whatever its runs. */
  enqueueRemove(jobNames: string[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

import { mayHaveLanded, type RedisClient } from './redis-connection';
import {
  type BatchRecord,
  DomainError,
  type CreateOutcome,
  type IdempotencyEntry,
  type IdempotentRequest,
  type SlotTake,
  ErrorCode,
  type IndexEntry,
  isFinal,
  generationOf,
  type JobRecord,
  type JobRecordChange,
  type JobRun,
  type JobState,
  JobStatus,
  type ListIndex,
  type NewBatch,
  type ResolvedJob,
  rfc3339,
  type StatusStore,
  toJobView,
  type WithdrawOutcome,
  WriteOutcomeUnknownError,
} from '@rjs/core';
import { LuaScript, sendFlat } from './lua-script';
import { COMPARE_AND_SET_WITH_EVENTS, CREATE_BATCH_WITH_EVENTS, REMOVE_BATCH_WITH_EVENTS } from './event-scripts';
import { GET_JOB_DOCS, GET_JOB_STATES, READ_INDEX, RECONCILE_SLOTS, TAKE_SLOT } from './lua-scripts';
import { RedisKeys } from './redis-keys';
import { coalesceWritesThisTurn } from './write-coalescing';

// The status writes record their events in the same step (event-scripts.ts).
const createBatch = new LuaScript(CREATE_BATCH_WITH_EVENTS);
const compareAndSet = new LuaScript(COMPARE_AND_SET_WITH_EVENTS);
const removeBatch = new LuaScript(REMOVE_BATCH_WITH_EVENTS);
const getJobDocs = new LuaScript(GET_JOB_DOCS);
const readIndex = new LuaScript(READ_INDEX);
const getJobStates = new LuaScript(GET_JOB_STATES);
const takeSlot = new LuaScript(TAKE_SLOT);
const reconcileSlots = new LuaScript(RECONCILE_SLOTS);

/** REMOVE_BATCH's condition for withdrawing a batch none of whose jobs was handed to the queue, and its answer when one was. */
const WITHDRAW_CONDITION = 'undispatched';
const REMOVE_HANDED_OFF = -3;

/**
 * Records are read this many per call. One HGET per record in a pipeline cost, for 100,000
 * records, 230 MB of client-side command objects and 0.8 s; in slices the heap stays small.
 */
const DOCS_PER_CALL = 1000;

/** How many records' last-read revisions a store keeps (see `lastRead`). */
const LAST_READ_LIMIT = 1000;

/** A job record keeps changing while its job runs; give up a compare-and-set after this many conflicts. */
const MAX_CAS_ATTEMPTS = 100;

/**
 * Calls `use` with each line of a reply (GET_JOB_DOCS, GET_JOB_STATES, READ_INDEX), each made a
 * string only when it is used. Replies come as one string (a Buffer here) rather than an array of
 * them: ioredis makes an array's strings all at once, and they all lived until the last was used,
 * long enough to be promoted to V8's old generation (~30 MB per 100,000 records read).
 */
function forEachLine(reply: Buffer, use: (line: string) => void): void {
  let start = 0;
  for (;;) {
    const end = reply.indexOf(10, start);
    use(reply.toString('utf8', start, end < 0 ? reply.length : end));
    if (end < 0) return;
    start = end + 1;
  }
}

export class BatchNameTakenError extends DomainError {
  constructor(name: string) {
    super(ErrorCode.Conflict, `the name ${name} is already in use`);
  }
}

/** How the status writes record their events (see event-scripts.ts). */
export interface EventRecording {
  /** The events stream is trimmed to about this many entries (EVENTS_STREAM_MAXLEN). */
  streamMaxLen: number;
  /** Whether a webhook is configured: only then are transitions kept for it. */
  notify: boolean;
}

export const DEFAULT_EVENT_RECORDING: EventRecording = { streamMaxLen: 100_000, notify: false };

/** The batch fields an event keeps, for when the batch is gone by the time it is read. */
function batchStub(batch: BatchRecord): string {
  return JSON.stringify({ name: batch.name, batchId: batch.batchId, batchType: batch.batchType, created: batch.created });
}

/** What a job's API view shows, but for `updated`: a write that changes only that is no event. */
function visibleState(record: JobRecord): string {
  const { updated: _updated, ...rest } = toJobView(record);
  return JSON.stringify(rest);
}

export class RedisStatusStore implements StatusStore {
  private readonly keys: RedisKeys;
  private readonly noIdempotencyKey: string;
  /**
   * The records this process read last, with their revision. An update that follows a read of the
   * same record (a launch reads the record, creates the Kubernetes Job, then marks the record
   * launched) tries its compare-and-set on that revision at once instead of reading the record
   * again: one Redis round trip less per launch (benchmark 4). A record changed in between fails
   * the compare-and-set and is read again, as before; so does one the change leaves as it is.
   */
  private readonly lastRead = new Map<string, { doc: string; rev: string }>();

  constructor(
    private readonly redis: RedisClient,
    component: string,
    private readonly events: EventRecording = DEFAULT_EVENT_RECORDING,
  ) {
    this.keys = new RedisKeys(component);
    this.noIdempotencyKey = this.keys.idempotency('');
  }

  /** The keys and arguments event-scripts.ts takes off the end of a status write's. */
  private eventKeys(batchName: string): string[] {
    return [this.keys.events, this.keys.notifyPending(batchName), this.keys.notifyBatches];
  }

  private eventArgs(emit: boolean, batchName: string, stub: string): string[] {
    return [String(this.events.streamMaxLen), this.events.notify ? '1' : '0', String(Date.now()), emit ? '1' : '0', batchName, stub];
  }

  async create({ batch, jobs }: NewBatch, idempotency?: IdempotentRequest): Promise<CreateOutcome> {
    const k = this.keys;
    const keys = [k.batch(batch.name), batch.batchType === 'job' ? k.singles : k.batches, k.unfinished, k.dispatchOutbox, k.statusCounts, k.openBatches, k.finished];
    const createdMs = String(Date.parse(batch.created));
    const indexMember = batch.batchType === 'job' ? jobs[0].record.name : batch.name;
    const openJobs = jobs.filter((job) => !isFinal(job.record.status)).length;
    const args = [JSON.stringify(batch), createdMs, indexMember, batch.name, String(openJobs)];
    for (const job of jobs) {
      keys.push(k.job(job.record.name), k.payload(job.record.name));
      const hasPayload = job.payload !== undefined;
      args.push(job.record.name, JSON.stringify(job.record), JSON.stringify(job.spec), job.payload ?? '', hasPayload ? '1' : '0', job.record.status, String(job.record.priority ?? 0));
    }
    // Without a key the script touches none; a fixed name stands in (computed once).
    keys.push(k.waiting, k.waitingSeq, idempotency ? k.idempotency(idempotency.key) : this.noIdempotencyKey);
    if (idempotency) {
      const entry: IdempotencyEntry = { fingerprint: idempotency.fingerprint, batchName: batch.name };
      args.push(JSON.stringify(entry), String(IDEMPOTENCY_TTL_SECONDS));
    } else args.push('', '');
    // The event keys and arguments go last: event-scripts.ts takes them off before CREATE_BATCH runs.
    keys.push(...this.eventKeys(batch.name));
    args.push(...this.eventArgs(true, batch.name, batchStub(batch)));
    // Concurrent accepts read in one turn send their records together (benchmark 1).
    coalesceWritesThisTurn(this.redis);
    let written: unknown;
    try {
      written = await createBatch.runFlat(this.redis, keys, args);
    } catch (error) {
      throw mayHaveLanded(error) ? new WriteOutcomeUnknownError(error) : error;
    }
    if (typeof written === 'string') return { created: false, earlier: JSON.parse(written) as IdempotencyEntry };
    // 2: written by an earlier send of this same write (CREATE_BATCH).
    if (written !== 1 && written !== 2) throw new BatchNameTakenError(batch.name);
    return { created: true };
  }

  async getJob(name: string): Promise<JobRecord | undefined> {
    const [doc, rev] = await this.redis.hmget(this.keys.job(name), 'doc', 'rev');
    if (!doc) return undefined;
    if (rev) {
      if (this.lastRead.size >= LAST_READ_LIMIT) this.lastRead.delete(this.lastRead.keys().next().value!);
      this.lastRead.set(name, { doc, rev });
    }
    return JSON.parse(doc) as JobRecord;
  }

  async getJobs(names: string[]): Promise<(JobRecord | undefined)[]> {
    const records: (JobRecord | undefined)[] = [];
    for (let start = 0; start < names.length; start += DOCS_PER_CALL) {
      const keys = names.slice(start, start + DOCS_PER_CALL).map((name) => this.keys.job(name));
      const docs = (await getJobDocs.runForBuffer(this.redis, keys, [])) as Buffer;
      forEachLine(docs, (line) => records.push(line ? (JSON.parse(line) as JobRecord) : undefined));
    }
    return records;
  }

  async getJobStates(names: string[]): Promise<(JobState | undefined)[]> {
    const states: (JobState | undefined)[] = [];
    for (let start = 0; start < names.length; start += DOCS_PER_CALL) {
      const keys = names.slice(start, start + DOCS_PER_CALL).map((name) => this.keys.job(name));
      const lines = (await getJobStates.runForBuffer(this.redis, keys, [])) as Buffer;
      forEachLine(lines, (line) => {
        const [status, started, ended, updated] = line.split(',');
        states.push(status ? { status: status as JobStatus, started: started || undefined, ended: ended || undefined, updated } : undefined);
      });
    }
    return states;
  }

  async getBatch(name: string): Promise<BatchRecord | undefined> {
    const doc = await this.redis.get(this.keys.batch(name));
    return doc ? (JSON.parse(doc) as BatchRecord) : undefined;
  }

  async getBatches(names: string[]): Promise<(BatchRecord | undefined)[]> {
    const records: (BatchRecord | undefined)[] = [];
    for (let start = 0; start < names.length; start += DOCS_PER_CALL) {
      const docs = await this.redis.mget(names.slice(start, start + DOCS_PER_CALL).map((name) => this.keys.batch(name)));
      for (const doc of docs) records.push(doc ? (JSON.parse(doc) as BatchRecord) : undefined);
    }
    return records;
  }

  async readIndex(index: ListIndex, after: IndexEntry | undefined, count: number): Promise<IndexEntry[]> {
    const key = index === 'singles' ? this.keys.singles : index === 'batches' ? this.keys.batches : this.keys.waiting;
    const args = after ? [String(count), String(after.score), after.name] : [String(count)];
    const reply = (await readIndex.runForBuffer(this.redis, [key], args)) as Buffer;
    const entries: IndexEntry[] = [];
    if (reply.length === 0) return entries;
    let name = '';
    forEachLine(reply, (line) => {
      if (name) {
        entries.push({ name, score: Number(line) });
        name = '';
      } else name = line;
    });
    return entries;
  }

  async readIndexNewestFirst(index: ListIndex, before: IndexEntry | undefined, count: number): Promise<IndexEntry[]> {
    const key = index === 'singles' ? this.keys.singles : this.keys.batches;
    // Entries of equal score come in reverse name order, as the position's tie-break wants; those
    // tied with `before` at or after its name are read and dropped, so ask for that many more.
    const ties = before ? await this.redis.zcount(key, before.score, before.score) : 0;
    const reply = await this.redis.zrevrangebyscore(key, before ? before.score : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count + ties);
    const entries: IndexEntry[] = [];
    for (let i = 0; i < reply.length && entries.length < count; i += 2) {
      const entry = { name: reply[i], score: Number(reply[i + 1]) };
      if (!before || entry.score < before.score || entry.name < before.name) entries.push(entry);
    }
    return entries;
  }

  async listBatchesEndedSince(since: Date): Promise<string[]> {
    // One MULTI: a batch that finishes between two separate reads would be in neither answer.
    const replies = await this.redis.multi().hkeys(this.keys.openBatches).zrangebyscore(this.keys.finished, since.getTime(), '+inf').exec();
    const [[openError, open], [finishedError, finished]] = replies as [[Error | null, string[]], [Error | null, string[]]];
    if (openError || finishedError) throw openError ?? finishedError;
    return [...new Set([...open, ...finished])];
  }

  async listSingleJobs(): Promise<JobRecord[]> {
    const names = await this.redis.zrange(this.keys.singles, 0, -1);
    return (await this.getJobs(names)).filter((r): r is JobRecord => r !== undefined);
  }

  async listBatches(): Promise<BatchRecord[]> {
    const names = await this.redis.zrange(this.keys.batches, 0, -1);
    if (names.length === 0) return [];
    const docs = await this.redis.mget(names.map((n) => this.keys.batch(n)));
    return docs.filter((d): d is string => d !== null).map((d) => JSON.parse(d) as BatchRecord);
  }

  listUnfinishedJobNames(): Promise<string[]> {
    return this.redis.smembers(this.keys.unfinished);
  }

  async getSpec(name: string): Promise<ResolvedJob | undefined> {
    const spec = await this.redis.hget(this.keys.job(name), 'spec');
    return spec ? (JSON.parse(spec) as ResolvedJob) : undefined;
  }

  async getPayload(name: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.payload(name))) ?? undefined;
  }

  async hasPayload(name: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.payload(name))) === 1;
  }

  async update(name: string, change: (current: JobRecord) => JobRecord | undefined): Promise<JobRecordChange> {
    const key = this.keys.job(name);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const known = attempt === 0 ? this.lastRead.get(name) : undefined;
      this.lastRead.delete(name);
      const [doc, rev] = known ? [known.doc, known.rev] : await this.redis.hmget(key, 'doc', 'rev');
      if (!doc || !rev) return { changed: false };
      const current = JSON.parse(doc) as JobRecord;
      const next = change(current);
      // Nothing to write: answer only from a fresh read.
      if (!next) {
        if (known) continue;
        return { record: current, changed: false };
      }
      const final = isFinal(next.status) ? '1' : '0';
      const wasFinal = isFinal(current.status) ? '1' : '0';
      const endedMs = String(Date.parse(next.ended ?? next.updated));
      const newRun = generationOf(next) !== generationOf(current) ? '1' : '0';
      const k = this.keys;
      const result = await compareAndSet.run(
        this.redis,
        [key, k.unfinished, k.statusCounts, k.openBatches, k.finished, k.dispatchOutbox, k.slots, k.waiting, k.waitingSeq, ...this.eventKeys(current.batchName)],
        [
          ...[rev, JSON.stringify(next), name, final, current.status, next.status, wasFinal, current.batchName, endedMs, newRun, String(next.priority ?? 0)],
          ...this.eventArgs(visibleState(current) !== visibleState(next), current.batchName, ''),
        ],
      );
      if (result === 1) return { record: next, changed: true };
      if (result === -1) return { changed: false };
    }
    throw new DomainError(ErrorCode.Conflict, `job ${name} is changing too often to update; try again`);
  }

  async deleteBatch(name: string): Promise<JobRun[]> {
    // A concurrent delete of the same batch wins once; the other sees it gone and reports nothing.
    const { removed, jobNames, generations } = await this.removeBatch(name, '');
    return removed ? jobNames.map((jobName, i) => ({ name: jobName, generation: generations[i] })) : [];
  }

  listExpiredBatches(cutoff: Date, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.finished, '-inf', cutoff.getTime(), 'LIMIT', 0, limit);
  }

  async removeExpiredBatch(name: string, cutoff: Date): Promise<string[]> {
    const { removed, jobNames, latestEnded } = await this.removeBatch(name, rfc3339(cutoff));
    // The index had it too early (a job recorded out of order ended later): move it to its real end.
    if (latestEnded) await this.redis.zadd(this.keys.finished, 'XX', Date.parse(latestEnded), name);
    return removed ? jobNames : [];
  }

  async oldestFinished(): Promise<Date | undefined> {
    const [, score] = await this.redis.zrange(this.keys.finished, 0, 0, 'WITHSCORES');
    return score === undefined ? undefined : new Date(Number(score));
  }

  async withdrawBatch(name: string, idempotencyKey?: string): Promise<WithdrawOutcome> {
    const { removed, result } = await this.removeBatch(name, WITHDRAW_CONDITION, idempotencyKey);
    if (removed) return 'withdrawn';
    return result === REMOVE_HANDED_OFF ? 'handedOff' : 'absent';
  }

  /** REMOVE_BATCH for `name` on `condition`: '' (whatever its jobs' state), a cutoff, or WITHDRAW_CONDITION. */
  private async removeBatch(
    name: string,
    condition: string,
    idempotencyKey?: string,
  ): Promise<{ removed: boolean; result?: number; jobNames: string[]; generations: number[]; latestEnded?: string }> {
    const k = this.keys;
    const batch = await this.getBatch(name);
    if (!batch) {
      // Gone already: retention must not find it in the finished index again.
      if (condition) await this.redis.zrem(k.finished, name);
      return { removed: false, jobNames: [], generations: [] };
    }
    const single = batch.batchType === 'job';
    const keys = [k.batch(name), single ? k.singles : k.batches, k.unfinished, k.dispatchOutbox, k.cleanupOutbox, k.statusCounts, k.openBatches, k.finished];
    for (const job of batch.jobNames) keys.push(k.job(job), k.payload(job));
    keys.push(k.slots, k.waiting, k.waitingSeq, idempotencyKey === undefined ? this.noIdempotencyKey : k.idempotency(idempotencyKey));
    keys.push(...this.eventKeys(name));
    const indexMember = single ? batch.jobNames[0] : name;
    const args = [indexMember, name, condition, ...batch.jobNames, ...this.eventArgs(true, name, batchStub(batch))];
    const [result, ...rest] = (await removeBatch.run(this.redis, keys, args)) as [number, ...(string | number)[]];
    return {
      removed: result === 1,
      result,
      jobNames: batch.jobNames,
      generations: result === 1 ? (rest as number[]) : [],
      latestEnded: result === -2 ? (rest[0] as string) : undefined,
    };
  }

  /** How many job records hold each status, every status listed (0 when none). */
  async countByStatus(): Promise<Record<JobStatus, number>> {
    const stored = await this.redis.hgetall(this.keys.statusCounts);
    const counts = Object.fromEntries(Object.values(JobStatus).map((status) => [status, 0])) as Record<JobStatus, number>;
    for (const status of Object.values(JobStatus)) {
      if (stored[status] !== undefined) counts[status] = Number(stored[status]);
    }
    return counts;
  }

  pendingDispatch(): Promise<string[]> {
    return this.redis.smembers(this.keys.dispatchOutbox);
  }

  async markDispatched(names: string[]): Promise<void> {
    // Flat (sendFlat): every group-committed hand-off of the accept path ends here.
    if (names.length) await sendFlat(this.redis, 'srem', [this.keys.dispatchOutbox].concat(names));
  }

  pendingCleanup(): Promise<string[]> {
    return this.redis.smembers(this.keys.cleanupOutbox);
  }

  async markCleaned(names: string[]): Promise<void> {
    if (names.length) await sendFlat(this.redis, 'srem', [this.keys.cleanupOutbox].concat(names));
  }

  async isDispatchPending(name: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.dispatchOutbox, name)) === 1;
  }

  async queuePosition(name: string): Promise<number | undefined> {
    const rank = await this.redis.zrank(this.keys.waiting, name);
    return rank === null ? undefined : rank + 1;
  }

  countWaitingBefore(score: number): Promise<number> {
    return this.redis.zcount(this.keys.waiting, '-inf', `(${score}`);
  }

  async takeSlot(run: JobRun, cap: number): Promise<SlotTake> {
    const result = await takeSlot.run(this.redis, [this.keys.slots, this.keys.job(run.name)], [run.name, String(cap), String(Date.now()), String(run.generation)]);
    return result === 1 ? 'held' : result === 0 ? 'full' : 'not-waiting';
  }

  slotsInUse(): Promise<number> {
    return this.redis.hlen(this.keys.slots);
  }

  async reconcileSlots(): Promise<string[]> {
    const holders = await this.redis.hkeys(this.keys.slots);
    const finals = `|${Object.values(JobStatus).filter(isFinal).join('|')}|`;
    const released: string[] = [];
    for (let start = 0; start < holders.length; start += DOCS_PER_CALL) {
      const names = holders.slice(start, start + DOCS_PER_CALL);
      const keys = [this.keys.slots, ...names.map((name) => this.keys.job(name))];
      released.push(...((await reconcileSlots.run(this.redis, keys, [finals, ...names])) as string[]));
    }
    return released;
  }
}

/** How long an Idempotency-Key names what its request created. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

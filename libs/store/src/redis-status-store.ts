import type { Redis } from 'ioredis';
import {
  type BatchRecord,
  DomainError,
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
} from '@rjs/core';
import { LuaScript } from './lua-script';
import { COMPARE_AND_SET, CREATE_BATCH, GET_JOB_DOCS, GET_JOB_STATES, READ_INDEX, REMOVE_BATCH } from './lua-scripts';
import { RedisKeys } from './redis-keys';

const createBatch = new LuaScript(CREATE_BATCH);
const compareAndSet = new LuaScript(COMPARE_AND_SET);
const removeBatch = new LuaScript(REMOVE_BATCH);
const getJobDocs = new LuaScript(GET_JOB_DOCS);
const readIndex = new LuaScript(READ_INDEX);
const getJobStates = new LuaScript(GET_JOB_STATES);

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

export class RedisStatusStore implements StatusStore {
  private readonly keys: RedisKeys;
  /**
   * The records this process read last, with their revision. An update that follows a read of the
   * same record (a launch reads the record, creates the Kubernetes Job, then marks the record
   * launched) tries its compare-and-set on that revision at once instead of reading the record
   * again: one Redis round trip less per launch (benchmark 4). A record changed in between fails
   * the compare-and-set and is read again, as before; so does one the change leaves as it is.
   */
  private readonly lastRead = new Map<string, { doc: string; rev: string }>();

  constructor(
    private readonly redis: Redis,
    component: string,
  ) {
    this.keys = new RedisKeys(component);
  }

  async create({ batch, jobs }: NewBatch): Promise<void> {
    const k = this.keys;
    const keys = [k.batch(batch.name), batch.batchType === 'job' ? k.singles : k.batches, k.unfinished, k.dispatchOutbox, k.statusCounts, k.openBatches, k.finished];
    const createdMs = String(Date.parse(batch.created));
    const indexMember = batch.batchType === 'job' ? jobs[0].record.name : batch.name;
    const openJobs = jobs.filter((job) => !isFinal(job.record.status)).length;
    const args = [JSON.stringify(batch), createdMs, indexMember, batch.name, String(openJobs)];
    for (const job of jobs) {
      keys.push(k.job(job.record.name), k.payload(job.record.name));
      const hasPayload = job.payload !== undefined;
      args.push(job.record.name, JSON.stringify(job.record), JSON.stringify(job.spec), job.payload ?? '', hasPayload ? '1' : '0', job.record.status);
    }
    const written = await createBatch.run(this.redis, keys, args);
    if (written !== 1) throw new BatchNameTakenError(batch.name);
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
    const key = index === 'singles' ? this.keys.singles : this.keys.batches;
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
        [key, k.unfinished, k.statusCounts, k.openBatches, k.finished, k.dispatchOutbox],
        [rev, JSON.stringify(next), name, final, current.status, next.status, wasFinal, current.batchName, endedMs, newRun],
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

  /** REMOVE_BATCH for `name`; `cutoff` '' removes it whatever its jobs' state. */
  private async removeBatch(name: string, cutoff: string): Promise<{ removed: boolean; jobNames: string[]; generations: number[]; latestEnded?: string }> {
    const k = this.keys;
    const batch = await this.getBatch(name);
    if (!batch) {
      // Gone already: retention must not find it in the finished index again.
      if (cutoff) await this.redis.zrem(k.finished, name);
      return { removed: false, jobNames: [], generations: [] };
    }
    const single = batch.batchType === 'job';
    const keys = [k.batch(name), single ? k.singles : k.batches, k.unfinished, k.dispatchOutbox, k.cleanupOutbox, k.statusCounts, k.openBatches, k.finished];
    for (const job of batch.jobNames) keys.push(k.job(job), k.payload(job));
    const indexMember = single ? batch.jobNames[0] : name;
    const [result, ...rest] = (await removeBatch.run(this.redis, keys, [indexMember, name, cutoff, ...batch.jobNames])) as [number, ...(string | number)[]];
    return {
      removed: result === 1,
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
    if (names.length) await this.redis.srem(this.keys.dispatchOutbox, names);
  }

  pendingCleanup(): Promise<string[]> {
    return this.redis.smembers(this.keys.cleanupOutbox);
  }

  async markCleaned(names: string[]): Promise<void> {
    if (names.length) await this.redis.srem(this.keys.cleanupOutbox, names);
  }
}

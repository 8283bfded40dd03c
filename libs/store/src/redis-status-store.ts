import type { Redis } from 'ioredis';
import {
  type BatchRecord,
  DomainError,
  ErrorCode,
  isFinal,
  type JobRecord,
  type JobRecordChange,
  JobStatus,
  type NewBatch,
  type ResolvedJob,
  type StatusStore,
} from '@rjs/core';
import { COMPARE_AND_SET, CREATE_BATCH, DELETE_BATCH } from './lua-scripts';
import { RedisKeys } from './redis-keys';

/** A job record keeps changing while its job runs; give up a compare-and-set after this many conflicts. */
const MAX_CAS_ATTEMPTS = 100;

export class BatchNameTakenError extends DomainError {
  constructor(name: string) {
    super(ErrorCode.Conflict, `the name ${name} is already in use`);
  }
}

export class RedisStatusStore implements StatusStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    component: string,
  ) {
    this.keys = new RedisKeys(component);
  }

  async create({ batch, jobs }: NewBatch): Promise<void> {
    const k = this.keys;
    const keys = [k.batch(batch.name), batch.batchType === 'job' ? k.singles : k.batches, k.unfinished, k.dispatchOutbox, k.statusCounts];
    const createdMs = String(Date.parse(batch.created));
    const indexMember = batch.batchType === 'job' ? jobs[0].record.name : batch.name;
    const args = [JSON.stringify(batch), createdMs, indexMember];
    for (const job of jobs) {
      keys.push(k.job(job.record.name), k.payload(job.record.name));
      const hasPayload = job.payload !== undefined;
      args.push(job.record.name, JSON.stringify(job.record), JSON.stringify(job.spec), job.payload ?? '', hasPayload ? '1' : '0', job.record.status);
    }
    const written = await this.redis.eval(CREATE_BATCH, keys.length, ...keys, ...args);
    if (written !== 1) throw new BatchNameTakenError(batch.name);
  }

  async getJob(name: string): Promise<JobRecord | undefined> {
    const doc = await this.redis.hget(this.keys.job(name), 'doc');
    return doc ? (JSON.parse(doc) as JobRecord) : undefined;
  }

  async getJobs(names: string[]): Promise<(JobRecord | undefined)[]> {
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hget(this.keys.job(name), 'doc');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, doc]) => {
      if (error) throw error;
      return doc ? (JSON.parse(doc as string) as JobRecord) : undefined;
    });
  }

  async getBatch(name: string): Promise<BatchRecord | undefined> {
    const doc = await this.redis.get(this.keys.batch(name));
    return doc ? (JSON.parse(doc) as BatchRecord) : undefined;
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

  async dropPayload(name: string): Promise<void> {
    await this.redis.del(this.keys.payload(name));
  }

  async update(name: string, change: (current: JobRecord) => JobRecord | undefined): Promise<JobRecordChange> {
    const key = this.keys.job(name);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const [doc, rev] = await this.redis.hmget(key, 'doc', 'rev');
      if (!doc || !rev) return { changed: false };
      const current = JSON.parse(doc) as JobRecord;
      const next = change(current);
      if (!next) return { record: current, changed: false };
      const final = isFinal(next.status) ? '1' : '0';
      const result = await this.redis.eval(
        COMPARE_AND_SET,
        3,
        key,
        this.keys.unfinished,
        this.keys.statusCounts,
        rev,
        JSON.stringify(next),
        name,
        final,
        current.status,
        next.status,
      );
      if (result === 1) return { record: next, changed: true };
      if (result === -1) return { changed: false };
    }
    throw new DomainError(ErrorCode.Conflict, `job ${name} is changing too often to update; try again`);
  }

  async deleteBatch(name: string): Promise<string[]> {
    const batch = await this.getBatch(name);
    if (!batch) return [];
    const k = this.keys;
    const single = batch.batchType === 'job';
    const keys = [k.batch(name), single ? k.singles : k.batches, k.unfinished, k.dispatchOutbox, k.cleanupOutbox, k.statusCounts];
    for (const job of batch.jobNames) keys.push(k.job(job), k.payload(job));
    const indexMember = single ? batch.jobNames[0] : name;
    // A concurrent delete of the same batch wins once; the other sees it gone and reports nothing.
    const deleted = await this.redis.eval(DELETE_BATCH, keys.length, ...keys, indexMember, ...batch.jobNames);
    return deleted === 1 ? batch.jobNames : [];
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
    if (names.length) await this.redis.srem(this.keys.dispatchOutbox, ...names);
  }

  pendingCleanup(): Promise<string[]> {
    return this.redis.smembers(this.keys.cleanupOutbox);
  }

  async markCleaned(names: string[]): Promise<void> {
    if (names.length) await this.redis.srem(this.keys.cleanupOutbox, ...names);
  }
}

import type Redis from 'ioredis';
import { type BatchRecord, type JobRecord, JobStatus, type NewBatch, type ResolvedJob } from '@rjs/core';
import { RedisStatusStore } from '@rjs/store';
import { TestRedis, type TestRedisOptions, withRedis } from '../support/redis-server';

export const COMPONENT = 'compute';

/**
 * A RedisStatusStore for COMPONENT on a private Redis (withRedis), with the client it uses, handed
 * to `use` before the tests of the calling describe block; the database is emptied after each test.
 */
export function withStore(use: (bed: { redis: Redis; store: RedisStatusStore }) => void): void {
  let client: Redis | undefined;
  withRedis(({ redis: server, closeAfter }) => {
    const redis = (client = server.client());
    closeAfter(() => redis.quit());
    use({ redis, store: new RedisStatusStore(redis, COMPONENT) });
  });
  afterEach(() => client?.flushall());
}

export interface NewBatchOptions {
  type?: 'job' | 'batch';
  created?: string;
  /** The payload of job `i`, or undefined for none. */
  payload?: (i: number, jobName: string) => string | undefined;
}

/** A batch of Waiting jobs named `<batchName>-job<i>`, as the acceptor would record it. */
export function newBatch(batchName: string, jobCount: number, options: NewBatchOptions = {}): NewBatch {
  const { type = 'batch', created = '2026-01-01T00:00:00Z', payload = () => undefined } = options;
  const jobs = Array.from({ length: jobCount }, (_, i) => {
    const name = `${batchName}-job${i}`;
    const jobPayload = payload(i, name);
    const record: JobRecord = { name, batchName, batchType: type, created, updated: created, status: JobStatus.Waiting, failed: 0, podStatuses: [] };
    const spec = { name, batchName, batchType: type, component: COMPONENT, timeLimitSeconds: 10, backoffLimit: 0, resources: {}, variables: {}, hasPayload: jobPayload !== undefined } as ResolvedJob;
    return { record, spec, payload: jobPayload };
  });
  const batch: BatchRecord = { name: batchName, batchType: type, created, jobNames: jobs.map((j) => j.record.name) };
  return { batch, jobs };
}

export interface StoreOnTestRedis {
  server: TestRedis;
  /** A client of the server, for assertions on keys. */
  redis: Redis;
  store: RedisStatusStore;
}

/**
 * A RedisStatusStore on a private redis-server for the enclosing describe, emptied after each test.
 * The fields are set in beforeAll: read them inside tests and hooks.
 */
export function storeOnTestRedis(options: TestRedisOptions = {}): StoreOnTestRedis {
  const context = {} as StoreOnTestRedis;
  beforeAll(async () => {
    context.server = await TestRedis.start(options);
    context.redis = context.server.client();
    context.store = new RedisStatusStore(context.redis, COMPONENT);
  });
  afterEach(() => context.redis.flushall());
  afterAll(async () => {
    await context.redis?.quit();
    await context.server?.stop();
  });
  return context;
}

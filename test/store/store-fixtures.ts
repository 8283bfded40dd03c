import { type BatchRecord, type JobRecord, JobStatus, type NewBatch, type ResolvedJob } from '@rjs/core';
import type Redis from 'ioredis';
import { type RedisClient, RedisStatusStore } from '@rjs/store';
import { TestRedis, type TestRedisOptions } from '../support/redis-server';
import { type RedisTopology, type RedisUnderTest, startRedisOf } from '../support/redis-topology';

export const COMPONENT = 'compute';

/**
 * A RedisStatusStore for COMPONENT on a private Redis of the given topology (one redis-server or a
 * three-master cluster), with the client it uses, handed to `use` before the tests of the calling
 * describe block; every node is emptied after each test.
 */
export function withStore(use: (bed: { redis: RedisClient; store: RedisStatusStore }) => void, topology: RedisTopology = 'single'): void {
  let server: RedisUnderTest | undefined;
  let client: RedisClient | undefined;
  beforeAll(async () => {
    server = await startRedisOf(topology);
    const redis = (client = server.client());
    use({ redis, store: new RedisStatusStore(redis, COMPONENT) });
  }, 60_000);
  afterEach(() => server?.flush());
  afterAll(async () => {
    await client?.quit();
    await server?.stop();
  });
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
  afterEach(() => context.server.flush());
  afterAll(async () => {
    await context.redis?.quit();
    await context.server?.stop();
  });
  return context;
}

export interface StoreOnRedis {
  server: RedisUnderTest;
  /** A client of the server, for assertions on keys (on a cluster, list keys with keysOf). */
  redis: RedisClient;
  store: RedisStatusStore;
}

/** As storeOnTestRedis, on a Redis of the given topology (one redis-server or a three-master cluster). */
export function storeOnRedis(topology: RedisTopology): StoreOnRedis {
  const context = {} as StoreOnRedis;
  beforeAll(async () => {
    context.server = await startRedisOf(topology);
    context.redis = context.server.client();
    context.store = new RedisStatusStore(context.redis, COMPONENT);
  }, 60_000);
  afterEach(() => context.server.flush());
  afterAll(async () => {
    await context.redis?.quit();
    await context.server?.stop();
  });
  return context;
}

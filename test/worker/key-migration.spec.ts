import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { loadConfig } from '@rjs/config';
import { DispatchExpansion, JobAcceptor, type JobRecord, type JobScheduleDescription, JobStatus, systemClock } from '@rjs/core';
import { BullMqWorkQueue, controlQueueName, launchJobId, launchQueueName, LEGACY_QUEUE_PREFIX, queuePrefix } from '@rjs/queue';
import { legacyKeyPrefix, RedisKeys, RedisStatusStore } from '@rjs/store';
import { eventually } from '../support/eventually';
import { TestRedis } from '../support/redis-server';
import { ensureBuilt } from '../support/service-process';
import { startWorker, writeJobProgramConfig } from './worker-app';
import { legacyLayoutPresent } from '../../apps/scheduler/src/key-layout-migration';

const MIGRATE = join(__dirname, '..', '..', 'dist', 'apps', 'scheduler', 'src', 'migrate-redis-keys.js');

/**
 * `npm run migrate:redis-keys` (the built command, as a process) on a real redis-server holding
 * data in the layout before hash tags: status records and queued BullMQ work, which a worker of
 * today's version then runs.
 */
describe('moving the keys of the layout before hash tags (migrate-redis-keys)', () => {
  let redis: TestRedis;
  let client: Redis;
  let scratch: string;
  let radixConfig: string;
  const component = 'compute';
  const keys = new RedisKeys(component);

  beforeAll(async () => {
    ensureBuilt();
    redis = await TestRedis.start();
    client = redis.client();
  }, 200_000);

  afterAll(async () => {
    await client.quit();
    await redis.stop();
  });

  beforeEach(async () => {
    await redis.flush();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-migrate-'));
    radixConfig = writeJobProgramConfig(scratch);
  });

  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  const migrate = () => spawnSync(process.execPath, [MIGRATE], { env: { PATH: process.env.PATH, RADIX_CONFIG: radixConfig, REDIS_URL: redis.url }, encoding: 'utf8', timeout: 60_000 });

  /**
   * Data as the version before hash tags left it. The queued work is written by BullMQ under its
   * default prefix `bull`, as that version queued it. The records are written by today's store and
   * then given the old key names (the values did not change, only the names).
   */
  async function writeOldLayout(): Promise<{ queued: string[]; finished: string }> {
    const config = loadConfig({ RADIX_CONFIG: radixConfig, REDIS_URL: redis.url });
    const launch = new Queue(launchQueueName(component), { connection: client, prefix: LEGACY_QUEUE_PREFIX });
    const control = new Queue(controlQueueName(component), { connection: client, prefix: LEGACY_QUEUE_PREFIX });
    try {
      const store = new RedisStatusStore(client, component);
      // That version queued launch work straight from the API: here the hand-off is expanded at once.
      const queues = new BullMqWorkQueue(launch, launch as never, control);
      queues.enqueueDispatch = async (names) => void (await new DispatchExpansion(store, queues).expand(names));
      const acceptor = new JobAcceptor(config.component, store, queues, systemClock);
      const accept = async (description: JobScheduleDescription) => {
        const { jobs, handedOff } = await acceptor.acceptJob(description);
        await handedOff;
        return jobs[0].name;
      };
      const queued = [await accept({}), await accept({ variables: { EXIT_CODE: '0' } })];
      const finished = await accept({});
      await launch.remove(launchJobId(finished));
      // That version queued launches without a BullMQ priority: in the wait list, not the prioritized set.
      for (const name of queued) {
        const work = (await launch.getJob(launchJobId(name)))!;
        await work.remove();
        await launch.add(work.name, work.data, { jobId: work.id });
      }
      const ended = '2026-01-01T00:00:10Z';
      await store.update(finished, (current): JobRecord => ({ ...current, status: JobStatus.Succeeded, launched: true, started: ended, ended, updated: ended }));
      // Queued, so out of the dispatch outbox: only the moved queue work can launch them.
      expect(await store.pendingDispatch()).toEqual([]);
      for (const key of await client.keys(RedisKeys.pattern(component))) {
        await client.rename(key, `${legacyKeyPrefix(component)}:${key.slice(RedisKeys.prefix(component).length + 1)}`);
      }
      return { queued, finished };
    } finally {
      await Promise.all([launch.close(), control.close()]);
    }
  }

  it('moves status records and queued work to the hash-tagged keys; a worker then runs the work once', async () => {
    const { queued, finished } = await writeOldLayout();
    expect(await client.llen(`${LEGACY_QUEUE_PREFIX}:${launchQueueName(component)}:wait`)).toBe(2);
    expect(await client.exists(`${legacyKeyPrefix(component)}:job:${finished}`)).toBe(1);
    expect(await legacyLayoutPresent(client, component)).toBe(true);
    const before = (await client.keys('*')).length;

    const run = migrate();

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${before} keys moved`);
    expect(await client.keys(`${legacyKeyPrefix(component)}:*`)).toEqual([]);
    expect(await client.keys(`${LEGACY_QUEUE_PREFIX}:rjs-*`)).toEqual([]);
    expect(await client.llen(`${queuePrefix(component)}:${launchQueueName(component)}:wait`)).toBe(2);
    expect(await legacyLayoutPresent(client, component)).toBe(false);

    // Retention off: the migrated finished job ended long ago, and its first sweep would remove it.
    const worker = await startWorker({ redisUrl: redis.url, radixConfig, workDir: join(scratch, 'work'), env: { RETENTION_SECONDS: '0' } });
    try {
      for (const name of queued) {
        await eventually(async () => (await worker.store.getJob(name))?.status === 'Succeeded', `${name} to succeed`, 60_000);
      }
      const completed = await worker.launchQueue.getCompleted();
      expect(completed.map((work) => work.id).sort()).toEqual(queued.map((name) => launchJobId(name)).sort());
      expect(await worker.store.getJob(finished)).toMatchObject({ status: 'Succeeded', ended: '2026-01-01T00:00:10Z' });
      expect(await worker.store.countByStatus()).toMatchObject({ Succeeded: 3 });
      expect((await worker.store.getJob(queued[0]))?.podStatuses).toHaveLength(1);
    } finally {
      await worker.close();
    }

    const again = migrate();
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('0 keys moved');
  });

  it('leaves a key whose new name is taken, says which, and exits 1', async () => {
    await client.sadd(`${legacyKeyPrefix(component)}:idx:unfinished`, 'old-job');
    await client.sadd(keys.unfinished, 'new-job');
    await client.set(`${legacyKeyPrefix(component)}:payload:p1`, 'moved');

    const run = migrate();

    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${legacyKeyPrefix(component)}:idx:unfinished -> ${keys.unfinished}`);
    expect(await client.smembers(keys.unfinished)).toEqual(['new-job']);
    expect(await client.smembers(`${legacyKeyPrefix(component)}:idx:unfinished`)).toEqual(['old-job']);
    expect(await client.get(keys.payload('p1'))).toBe('moved');
  });
});

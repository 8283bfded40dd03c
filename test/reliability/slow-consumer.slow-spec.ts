import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { launchQueueName } from '@rjs/queue';
import { TestRedis } from '../support/redis-server';
import { ensureBuilt, ServiceProcess } from '../support/service-process';
import { burst, compareRuns, COMPONENT, countRuns, printFigures, ScratchDir, tally, waitUntilFinal, writeRadixConfig, orphanPayloads } from './reliability-support';

const BATCHES = 100;
const JOBS_PER_BATCH = 100;

/**
 * 10,000 jobs are accepted while no worker runs: they wait, nothing is lost, and all of them run,
 * once each, when a worker process starts.
 */
describe('a backlog of 10,000 jobs and no worker', () => {
  let redis: TestRedis;
  let client: Redis;
  const services: ServiceProcess[] = [];
  const scratch = new ScratchDir('rjs-slow-consumer-');
  const dir = scratch.path;
  const runsFile = join(dir, 'runs');

  const start = async (name: string, roles: string) => {
    const service = await ServiceProcess.start({
      logFile: join(dir, `${name}.log`),
      env: {
        REDIS_URL: redis.url,
        RADIX_CONFIG: join(dir, 'radixconfig.yaml'),
        JOB_COMPONENT: COMPONENT,
        ROLES: roles,
        JOB_RUNTIME: 'local',
        LOCAL_WORK_DIR: join(dir, 'work'),
        LOCAL_MAX_RUNNING: '64',
        LOG_LEVEL: 'info',
      },
    });
    services.push(service);
    await service.ready();
    return service;
  };

  beforeAll(async () => {
    ensureBuilt();
    redis = await TestRedis.start();
    client = redis.client();
    writeRadixConfig(dir, runsFile);
  }, 240_000);

  afterAll(async () => {
    client?.disconnect();
    await Promise.all(services.map((s) => s.stop()));
    await redis?.stop();
    scratch.remove();
  });

  it('keeps every job waiting until a worker starts, then runs each once', async () => {
    const finished = scratch.testStarted();
    const api = await start('api', 'api');
    const outcomes = await burst({
      url: api.url,
      path: '/api/v1/batches',
      total: BATCHES,
      clients: 4,
      timeoutMs: 30_000,
      body: (b) => ({ batchId: `backlog-${b}`, jobScheduleDescriptions: Array.from({ length: JOBS_PER_BATCH }, (_, i) => ({ jobId: `${b}-${i}`, payload: `${b}/${i}` })) }),
    });
    const result = tally(outcomes);
    expect(result.accepted).toBe(BATCHES);
    expect(result.acceptedJobs).toHaveLength(BATCHES * JOBS_PER_BATCH);

    // Nothing runs without a worker: the work waits in the queue, the jobs in Waiting.
    const queue = new Queue(launchQueueName(COMPONENT), { connection: { url: redis.url } });
    const waitingInQueue = await queue.getWaitingCount().finally(() => queue.close());
    const counts = await client.hgetall(`rjs:${COMPONENT}:idx:status-counts`);
    expect(waitingInQueue).toBe(BATCHES * JOBS_PER_BATCH);
    expect(countRuns(runsFile).size).toBe(0);
    expect(counts).toEqual({ Waiting: String(BATCHES * JOBS_PER_BATCH) });

    const workerStarted = Date.now();
    const worker = await start('worker', 'worker');
    const records = await waitUntilFinal(client, result.acceptedJobs, 540_000, () => worker.running);
    const drainSeconds = (Date.now() - workerStarted) / 1000;
    const runs = countRuns(runsFile);
    const figures = compareRuns(result.acceptedJobs, runs);
    printFigures('slow-consumer', {
      jobsSent: BATCHES * JOBS_PER_BATCH,
      accepted: result.acceptedJobs.length,
      queuedBeforeWorker: waitingInQueue,
      ran: [...runs.values()].reduce((a, b) => a + b, 0),
      lost: figures.lost.length,
      duplicated: figures.duplicated.length,
      notSucceeded: records.filter((r) => r.status !== 'Succeeded').length,
      drainSeconds: drainSeconds.toFixed(0),
    });

    expect(figures.lost).toEqual([]);
    expect(figures.duplicated).toEqual([]);
    expect(figures.unacknowledged).toEqual([]);
    expect(records.filter((r) => r.status !== 'Succeeded')).toEqual([]);
    expect(await orphanPayloads(client)).toEqual([]);
    finished();
  });
});

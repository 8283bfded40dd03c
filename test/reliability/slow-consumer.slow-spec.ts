import { Queue } from 'bullmq';
import { dispatchQueueName, type DispatchWork, queuePrefix } from '@rjs/queue';
import { RedisKeys } from '@rjs/store';
import { eventually } from '../support/eventually';
import { reliabilityFixture } from './reliability-fixture';
import { burst, compareRuns, COMPONENT, countRuns, printFigures, tally, waitUntilFinal, orphanPayloads } from './reliability-support';

const BATCHES = 100;
const JOBS_PER_BATCH = 100;

/**
 * 10,000 jobs are accepted while no worker runs: they wait, nothing is lost, and all of them run,
 * once each, when a worker process starts.
 */
describe('a backlog of 10,000 jobs and no worker', () => {
  const fixture = reliabilityFixture({ name: 'slow-consumer', maxRunning: 64, logLevel: 'info' });

  it('keeps every job waiting until a worker starts, then runs each once', async () => {
    const { client, redis, runsFile, start } = fixture;
    const finished = fixture.scratch.testStarted();
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

    // Nothing runs without a worker: the work waits in the dispatch queue (handed to it just after each answer), the jobs in Waiting.
    await eventually(async () => (await client.scard(new RedisKeys(COMPONENT).dispatchOutbox)) === 0, 'the accepted jobs to be handed to the workers');
    const queue = new Queue<DispatchWork>(dispatchQueueName(COMPONENT), { connection: { url: redis.url }, prefix: queuePrefix(COMPONENT) });
    const waitingInQueue = await queue
      .getWaiting()
      .then((handOffs) => handOffs.reduce((jobs, work) => jobs + work.data.jobNames.length, 0))
      .finally(() => queue.close());
    const counts = await client.hgetall(new RedisKeys(COMPONENT).statusCounts);
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

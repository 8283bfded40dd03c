import { ORPHAN_MESSAGE } from '@rjs/runtime';
import { reliabilityFixture } from './reliability-fixture';
import { burst, compareRuns, COMPONENT, countRuns, printFigures, tally, waitUntilFinal, orphanPayloads } from './reliability-support';

const BATCHES = 8;
const JOBS_PER_BATCH = 50;
const MAX_RUNNING = 8;
const KILLS = 4;

/**
 * Worker processes die (kill -9, four times) while they launch jobs; another worker process on the
 * same machine and work directory takes over their queue work once BullMQ's lock expires (30 s by
 * default, not configurable yet) and their jobs through the shared launch markers. No job runs twice.
 */
describe('a worker process killed while it launches jobs', () => {
  const fixture = reliabilityFixture({ name: 'worker-crash', appendOnly: true, maxRunning: MAX_RUNNING });

  it('hands the dead workers\' work to the other worker and never launches a job twice', async () => {
    const { client, runsFile, secret, start } = fixture;
    const finished = fixture.scratch.testStarted();
    const api = await start('api', 'api');
    const survivor = await start('worker-survivor', 'worker');
    let doomed = await start('worker-doomed-1', 'worker');

    const outcomes = await burst({
      url: api.url,
      path: '/api/v1/batches',
      total: BATCHES,
      clients: 2,
      timeoutMs: 30_000,
      body: (b) => ({
        batchId: `worker-crash-${b}`,
        defaultRadixJobComponentConfig: { variables: { SLEEP_SECONDS: '0.3', API_TOKEN: `variable-${secret}` } },
        jobScheduleDescriptions: Array.from({ length: JOBS_PER_BATCH }, (_, i) => ({ jobId: `${b}-${i}`, payload: `payload-${secret}-${b}-${i}` })),
      }),
    });
    const result = tally(outcomes);
    expect(result.accepted).toBe(BATCHES);

    // Kill a worker each time 50 more jobs have run: it holds launch work and running jobs then. A
    // fresh one takes its place, so that several kills land at different moments of a launch.
    const ranAtKill: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const deadline = Date.now() + 60_000;
      while (countRuns(runsFile).size < 50 * kill && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      ranAtKill.push(countRuns(runsFile).size);
      await doomed.kill();
      if (kill < KILLS) doomed = await start(`worker-doomed-${kill + 1}`, 'worker');
    }

    const records = await waitUntilFinal(client, result.acceptedJobs, 240_000);
    const runs = countRuns(runsFile);
    const figures = compareRuns(result.acceptedJobs, runs);
    const interrupted = records.filter((r) => r.status !== 'Succeeded');
    // A worker killed inside spawn() leaves a job that may or may not have started: it is ended
    // with a message rather than launched again (a launch is never repeated). At most one per kill:
    // a worker spawns one job at a time.
    const endedWhileSpawning = figures.lost.filter((name) => records.find((r) => r.name === name)?.message === ORPHAN_MESSAGE);
    const lost = figures.lost.filter((name) => !endedWhileSpawning.includes(name));
    const leaks = fixture.leaks();
    printFigures('worker-crash', {
      jobsSent: BATCHES * JOBS_PER_BATCH,
      accepted: result.acceptedJobs.length,
      workersKilled: KILLS,
      ranAtEachKill: ranAtKill.join('/'),
      ran: [...runs.values()].reduce((a, b) => a + b, 0),
      lost: lost.length,
      duplicated: figures.duplicated.length,
      ranWithout2xx: figures.unacknowledged.length,
      endedWithADeadWorker: interrupted.length,
      endedWhileSpawning: endedWhileSpawning.length,
      secretsInLog: leaks.length,
    });

    expect(result.acceptedJobs).toHaveLength(BATCHES * JOBS_PER_BATCH);
    expect(lost).toEqual([]);
    expect(endedWhileSpawning.length).toBeLessThanOrEqual(KILLS);
    expect(figures.duplicated).toEqual([]);
    expect(figures.unacknowledged).toEqual([]);
    // Only jobs whose process a dead worker supervised end otherwise, and they say why.
    expect(interrupted.length).toBeLessThanOrEqual(MAX_RUNNING * KILLS);
    for (const record of interrupted) {
      expect(record.status).toBe('Failed');
      expect([ORPHAN_MESSAGE, 'the local runtime no longer holds the job']).toContain(record.message);
    }
    expect(survivor.running).toBe(true);
    expect(leaks).toEqual([]);
    expect(await orphanPayloads(client)).toEqual([]);
    finished();
  });
});

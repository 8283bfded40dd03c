import { join } from 'node:path';
import { STORE_UNAVAILABLE_MESSAGE } from '../../apps/api/src/api-exception.filter';
import type { ServiceProcess } from '../support/service-process';
import { reliabilityFixture } from './reliability-fixture';
import { burst, compareRuns, COMPONENT, countRuns, printFigures, tally, waitUntilFinal, orphanPayloads } from './reliability-support';

const TOTAL = 2_400;
const KILL_AFTER = 800;

/**
 * Redis dies (kill -9) in the middle of a burst and comes back with its AOF: every request answered
 * 2xx runs exactly once, requests made meanwhile get a quick 503, and the same service process
 * (API and worker) carries on without a restart.
 */
describe('Redis killed mid-burst', () => {
  const fixture = reliabilityFixture({ name: 'redis-crash', appendOnly: true });
  const { secret } = fixture;
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await fixture.start('service', 'api,worker,watcher');
  }, 240_000);

  // BullMQ workers are known to stall after outages longer than their blocking timeout (drainDelay
  // 5 s + 1 s): the second outage is longer than that. The same process lives through both.
  it.each([
    ['a short outage', 3_000],
    ['an outage longer than the workers\' blocking timeout', 9_000],
  ])('runs every accepted job exactly once, answers 503 while Redis is down and recovers without a restart: %s', async (_what, downMs) => {
    const { client, redis } = fixture;
    const finished = fixture.scratch.testStarted();
    const pid = service.pid;
    // Variables of the request override the component's: each scenario counts in a file of its own.
    const runsFile = join(fixture.dir, `runs-${downMs}`);
    let killed: Promise<void> | undefined;
    let restartedAt = 0;
    const outcomes = await burst({
      url: service.url,
      total: TOTAL,
      clients: 6,
      timeoutMs: 5_000,
      pauseAfterFailureMs: 100,
      body: (i) => ({ jobId: `burst-${downMs}-${i}`, payload: `payload-${secret}-${i}`, variables: { RUNS_FILE: runsFile, API_TOKEN: `variable-${secret}-${i}` } }),
      onProgress: (ended) => {
        if (ended !== KILL_AFTER) return;
        killed = (async () => {
          await redis.kill();
          await new Promise((resolve) => setTimeout(resolve, downMs));
          await redis.restart();
          restartedAt = Date.now();
        })();
      },
    });
    await killed;
    const result = tally(outcomes);
    // Requests after the restart: the API found Redis again by itself.
    const acceptedAfterRestart = outcomes.filter((o) => o.startedAt > restartedAt && o.kind === 'answered' && o.status < 300).length;

    const records = await waitUntilFinal(client, result.acceptedJobs, 240_000, () => service.running);
    const runs = countRuns(runsFile);
    const figures = compareRuns(result.acceptedJobs, runs);
    const leaks = fixture.leaks();
    // Accepts answered 503 although Redis had written them before it died: withdrawn, so they do not run.
    const withdrawn = service.log().split('\n').filter((line) => line.includes('withdrew an accept answered 503')).length;
    printFigures(`redis-crash, Redis down ${downMs} ms`, {
      sent: result.sent,
      accepted: result.accepted,
      unavailable503: result.unavailable,
      timedOut: result.timedOut,
      networkErrors: result.network,
      otherAnswers: result.other,
      acceptedAfterRestart,
      ran: [...runs.values()].reduce((a, b) => a + b, 0),
      lost: figures.lost.length,
      duplicated: figures.duplicated.length,
      ranWithout2xx: figures.unacknowledged.length,
      withdrawnAcceptsOverall: withdrawn,
      notSucceeded: records.filter((r) => r.status !== 'Succeeded').length,
      secretsInLog: leaks.length,
    });

    expect(restartedAt).toBeGreaterThan(0);
    expect(result.timedOut).toBe(0);
    expect(result.network).toBe(0);
    expect(result.otherAnswers).toEqual([]);
    expect(result.unavailable).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      if (outcome.kind === 'answered' && outcome.status === 503) {
        expect(outcome.body).toEqual({ status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: STORE_UNAVAILABLE_MESSAGE });
      }
    }
    expect(acceptedAfterRestart).toBeGreaterThan(0);
    expect(figures.lost).toEqual([]);
    expect(figures.duplicated).toEqual([]);
    expect(figures.unacknowledged).toEqual([]);
    expect(records.filter((r) => r.status !== 'Succeeded').map((r) => `${r.name}: ${r.status} ${r.message ?? ''}`)).toEqual([]);
    // The same process did all of it.
    expect(service.running).toBe(true);
    expect(service.pid).toBe(pid);
    // Payloads and variables stay out of the logs; a payload stays in Redis only with its record.
    expect(leaks).toEqual([]);
    expect(await orphanPayloads(client)).toEqual([]);
    finished();
  });
});

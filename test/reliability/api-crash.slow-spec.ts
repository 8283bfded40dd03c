import { eventually } from '../support/eventually';
import { reliabilityFixture } from './reliability-fixture';
import { burst, compareRuns, COMPONENT, countRuns, printFigures, tally, waitUntilFinal, orphanPayloads } from './reliability-support';
import { RedisKeys } from '@rjs/store';

const TOTAL = 2_000;
const KILL_AFTER = 700;
const CLIENTS = 6;

/**
 * An API process dies (kill -9) in the middle of a burst: every job it answered 2xx is run, once,
 * by a separate worker process. A request cut off by the crash may or may not have been recorded
 * (the client cannot know): if it was, the dispatch outbox makes sure it runs too, never twice.
 */
describe('an API process killed mid-burst', () => {
  const fixture = reliabilityFixture({ name: 'api-crash', appendOnly: true });

  it('runs every job the dead API accepted exactly once', async () => {
    const { client, runsFile, secret } = fixture;
    const finished = fixture.scratch.testStarted();
    const worker = await fixture.start('worker', 'worker');
    const api = await fixture.start('api', 'api');

    let killedAt = 0;
    const outcomes = await burst({
      url: api.url,
      total: TOTAL,
      clients: CLIENTS,
      timeoutMs: 5_000,
      body: (i) => ({ jobId: `api-crash-${i}`, payload: `payload-${secret}-${i}`, variables: { API_TOKEN: `variable-${secret}-${i}` } }),
      onProgress: async (ended) => {
        if (ended !== KILL_AFTER) return;
        killedAt = Date.now();
        await api.kill();
      },
    });
    const result = tally(outcomes);
    // Requests in flight when the process died: their outcome is unknown to the client.
    const cutOff = outcomes.filter((o) => o.kind !== 'answered' && o.startedAt <= killedAt).length;

    // Recorded jobs are all the service knows of: those answered 2xx, and perhaps some cut off.
    const recorded = (await client.keys(new RedisKeys(COMPONENT).job('*'))).map((key) => key.slice(new RedisKeys(COMPONENT).job('').length));
    const records = await waitUntilFinal(client, recorded, 180_000, () => worker.running);
    const runs = countRuns(runsFile);
    const figures = compareRuns(result.acceptedJobs, runs);
    const leaks = fixture.leaks();
    printFigures('api-crash', {
      sent: result.sent,
      accepted: result.accepted,
      refusedAfterCrash: result.network,
      cutOffInFlight: cutOff,
      timedOut: result.timedOut,
      otherAnswers: result.other,
      recorded: recorded.length,
      ran: [...runs.values()].reduce((a, b) => a + b, 0),
      lost: figures.lost.length,
      duplicated: figures.duplicated.length,
      ranWithout2xx: figures.unacknowledged.length,
      notSucceeded: records.filter((r) => r.status !== 'Succeeded').length,
      secretsInLog: leaks.length,
    });

    expect(killedAt).toBeGreaterThan(0);
    expect(result.accepted).toBeGreaterThanOrEqual(KILL_AFTER - CLIENTS);
    expect(result.other).toBe(0);
    expect(figures.lost).toEqual([]);
    expect(figures.duplicated).toEqual([]);
    // Only a request the crash cut off may have been recorded without an answer; it runs too.
    expect(figures.unacknowledged.length).toBeLessThanOrEqual(cutOff);
    expect([...runs.keys()].sort()).toEqual([...recorded].sort());
    expect(records.filter((r) => r.status !== 'Succeeded').map((r) => `${r.name}: ${r.status} ${r.message ?? ''}`)).toEqual([]);
    // The outbox empties too (recovery confirms what the dead API enqueued but did not confirm).
    await eventually(async () => (await client.scard(new RedisKeys(COMPONENT).dispatchOutbox)) === 0, 'the dispatch outbox to empty');
    expect(leaks).toEqual([]);
    expect(await orphanPayloads(client)).toEqual([]);
    finished();
  });
});

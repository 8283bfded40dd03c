import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { JobRecord } from '@rjs/core';
import { LabelKey } from '@rjs/runtime';
import type { LogCapture } from '../support/app-fixture';
import { ChaosProxy } from '../support/chaos-proxy';
import { eventually } from '../support/eventually';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import { NAMESPACE, reliabilityFixture } from './reliability-fixture';
import { burst, COMPONENT, countRuns, printFigures, tally, waitUntilFinal } from './reliability-support';
import { RedisKeys } from '@rjs/store';

const BATCHES = 12;
const JOBS_PER_BATCH = 10;
const WAVE1_BATCHES = 8;
/** Every fourth job exits with 3: it must end Failed, the others Succeeded. */
const failing = (index: number) => index % 4 === 0;

/** A seeded generator (mulberry32), so that a failing run can be repeated with its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The whole scheduler in one process, its Kubernetes runtime talking to the fake API server through
 * a proxy that fails 30% of the calls (500, 429, no answer, answer lost after the server acted),
 * while the watch streams are cut, ended or expired (410 Gone) every second, and later reopened
 * into a black hole (a watch request that never gets an answer). Every job is created exactly once
 * and ends with the right status. CHAOS_SEED=<n> repeats a run's faults.
 */
describe('Kubernetes API faults', () => {
  const fixture = reliabilityFixture({ name: 'kube-faults', logLevel: 'debug' });
  const { secret } = fixture;
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  let fake: FakeKubernetesServer;
  let proxy: ChaosProxy;
  let url: string;
  let logs: LogCapture;

  beforeAll(async () => {
    fake = await FakeKubernetesServer.start({ workDir: fixture.dir, terminationGraceMs: 500 });
    proxy = await ChaosProxy.start(fake.url, { faultRate: 0.3, hangMs: 1_500, random: seeded(seed) });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'chaos', server: proxy.url, skipTLSVerify: true }],
      users: [{ name: 'chaos', token: 'fake-token' }],
      contexts: [{ name: 'chaos', cluster: 'chaos', user: 'chaos', namespace: NAMESPACE }],
      currentContext: 'chaos',
    });
    ({ url, logs } = await fixture.serveOnKubernetes(kubeConfig, {
      qps: 1000,
      burst: 1000,
      // Timeouts shorter than the proxy's hang, so that a hang is seen as one; quick retries.
      requestTimeoutMs: 1_000,
      retry: { attempts: 4, initialMs: 50, maxMs: 400 },
      watchBackoff: { initialMs: 50, maxMs: 1_000 },
      watchTimeoutSeconds: 10,
    }));
  }, 60_000);

  fixture.beforeTeardown(async () => {
    // The service's log, for a failure's inspection (the directory is kept then).
    writeFileSync(join(fixture.dir, 'service.log'), (logs?.raw ?? []).join('\n'));
    await proxy?.stop();
    await fake?.stop();
  });

  it('creates every job exactly once and records the right final status of each', async () => {
    const { client, runsFile } = fixture;
    const finished = fixture.scratch.testStarted();
    const byJobId = new Map<string, string>();
    const send = async (wave: number, batches: number) => {
      const outcomes = await burst({
        url,
        path: '/api/v1/batches',
        total: batches,
        clients: 3,
        timeoutMs: 10_000,
        body: (b) => ({
          batchId: `kube-faults-${wave}-${b}`,
          jobScheduleDescriptions: Array.from({ length: JOBS_PER_BATCH }, (_, i) => {
            const index = ((wave ? WAVE1_BATCHES : 0) + b) * JOBS_PER_BATCH + i;
            return { jobId: String(index), payload: `payload-${secret}`, variables: { EXIT_CODE: failing(index) ? '3' : '0', API_TOKEN: `variable-${secret}` } };
          }),
        }),
      });
      const result = tally(outcomes);
      expect(result.accepted).toBe(batches);
      for (const outcome of outcomes) {
        if (outcome.kind !== 'answered') continue;
        for (const job of (outcome.body as { jobStatuses: { name: string; jobId: string }[] }).jobStatuses) byJobId.set(job.name, job.jobId);
      }
      return result.acceptedJobs;
    };
    // Progress on stderr while it converges, so that a hang shows where it is.
    const progress = setInterval(() => {
      void client.hgetall(new RedisKeys(COMPONENT).statusCounts).then((counts) =>
        process.stderr.write(`[kubernetes-faults] ${JSON.stringify(counts)} runs=${countRuns(runsFile).size} jobObjects=${fake.list('jobs', NAMESPACE).length} faults=${proxy.injected} watches=${fake.openWatchCount()} heldWatches=${proxy.heldWatches}\n`),
      );
    }, 10_000);
    // Wave 1: the watch streams break every second, in turns: a cut, a clean end, 410 Gone as an
    // event, 410 Gone as an HTTP status.
    let breaks = 0;
    const breaker = setInterval(() => {
      const turn = breaks++ % 4;
      if (turn === 0) fake.cutWatches();
      else if (turn === 1) fake.endWatches();
      else {
        fake.goneMode = turn === 2 ? 'event' : 'http';
        fake.expireWatches();
      }
    }, 1_000);

    try {
      const wave1 = await send(0, WAVE1_BATCHES);
      await waitUntilFinal(client, wave1, 180_000);
      clearInterval(breaker);

      // Wave 2: the watches are cut and their new requests get no answer at all (a black hole), so
      // the second wave's statuses arrive only if the informers give up on a silent watch.
      proxy.blackHoleWatches = true;
      fake.cutWatches();
      await eventually(() => proxy.heldWatches >= 2, () => `two watch requests in the black hole; held ${proxy.heldWatches}`);
      proxy.blackHoleWatches = false;
      const wave2 = await send(1, BATCHES - WAVE1_BATCHES);
      const accepted = [...wave1, ...wave2];
      const records = await waitUntilFinal(client, accepted, 180_000);

      const expected = (record: JobRecord) => (failing(Number(byJobId.get(record.name))) ? 'Failed' : 'Succeeded');
      const wrong = records.filter((r) => r.status !== expected(r)).map((r) => `${r.name} (jobId ${byJobId.get(r.name)}): ${r.status} ${r.message ?? ''}`);
      // Job objects per job name, from what the server holds (a create's name is in its body).
      const creates = new Map<string, number>();
      const jobs = fake.list('jobs', NAMESPACE);
      for (const job of jobs) {
        const name = job.metadata.labels?.[LabelKey.jobName] ?? '';
        creates.set(name, (creates.get(name) ?? 0) + 1);
      }
      const podsPerJob = accepted.map((name) => fake.podsOf(NAMESPACE, name).length);
      const runs = countRuns(runsFile);
      const createAttempts = fake.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs').length;
      const alreadyExisted = fake.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 409).length;
      const leaks = fixture.leaks(logs.raw.join('\n'));
      printFigures(`kubernetes-faults (seed ${seed})`, {
        jobs: accepted.length,
        apiCallsThroughProxy: proxy.forwarded + proxy.injected + proxy.blackHoled,
        faultsInjected: proxy.injected,
        ...proxy.faults,
        watchBreaks: breaks,
        watchRequestsBlackHoled: proxy.blackHoled,
        createRequestsReachingServer: createAttempts,
        createsThatFoundTheJob: alreadyExisted,
        jobObjects: jobs.length,
        ran: [...runs.values()].reduce((a, b) => a + b, 0),
        lost: accepted.filter((name) => !runs.get(name)).length,
        duplicated: [...runs.values()].filter((count) => count > 1).length,
        wrongStatus: wrong.length,
        secretsInLog: leaks.length,
      });

      expect(proxy.injected).toBeGreaterThan(0);
      expect(breaks).toBeGreaterThanOrEqual(4);
      expect(wrong).toEqual([]);
      // One Job object per job, one pod each (backoffLimit 0), one run each.
      expect(accepted.filter((name) => creates.get(name) !== 1)).toEqual([]);
      expect(jobs).toHaveLength(accepted.length);
      expect(podsPerJob.filter((count) => count !== 1)).toEqual([]);
      expect(accepted.filter((name) => runs.get(name) !== 1)).toEqual([]);
      expect(leaks).toEqual([]);
      finished();
    } finally {
      clearInterval(breaker);
      clearInterval(progress);
    }
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { JobRecord } from '@rjs/core';
import { LabelKey, ORPHAN_MESSAGE } from '@rjs/runtime';
import { RedisKeys } from '@rjs/store';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import type { ServiceProcess } from '../support/service-process';
import { NAMESPACE, type ReliabilityFixture, reliabilityFixture, type ServiceExtras } from './reliability-fixture';
import { burst, compareRuns, COMPONENT, countRuns, type Outcome, printFigures, tally, waitUntilFinal } from './reliability-support';

/** Jobs in all (REPLICA_JOBS, default 5,000), in batches of 100 sent across both APIs. */
const JOBS = Number(process.env.REPLICA_JOBS ?? 5000);
const JOBS_PER_BATCH = Math.min(100, JOBS);
const BATCHES = Math.ceil(JOBS / JOBS_PER_BATCH);
/** 5,000 jobs on 2 shared cores take minutes per runtime; more than the slow suite's default. */
const TEST_TIMEOUT_MS = 40 * 60_000;
/** Every tenth job exits with 3: it must end Failed, the others Succeeded. */
const failing = (index: number) => index % 10 === 0;

interface Accepted {
  names: string[];
  /** Job name to its index (its jobId). */
  index: Map<string, number>;
  outcomes: Outcome[];
  /** Jobs accepted through each API process. */
  perApi: number[];
}

/** Requests of acceptAcross answered so far (both APIs): where the kills landed. */
let answeredBatches = 0;

/** BATCHES batches, the even ones through `apis[0]`, the odd ones through `apis[1]`, both at once. */
async function acceptAcross(apis: ServiceProcess[], prefix: string): Promise<Accepted> {
  answeredBatches = 0;
  const perApi = apis.map((api, a) =>
    burst({
      url: api.url,
      path: '/api/v1/batches',
      total: Math.ceil((BATCHES - a) / apis.length),
      clients: 2,
      timeoutMs: 60_000,
      onProgress: () => void answeredBatches++,
      body: (i) => {
        const b = i * apis.length + a;
        return {
          batchId: `${prefix}-${b}`,
          jobScheduleDescriptions: Array.from({ length: Math.min(JOBS_PER_BATCH, JOBS - b * JOBS_PER_BATCH) }, (_, j) => {
            const index = b * JOBS_PER_BATCH + j;
            return { jobId: String(index), variables: { EXIT_CODE: failing(index) ? '3' : '0' } };
          }),
        };
      },
    }),
  );
  const answered = await Promise.all(perApi);
  const outcomes = answered.flat();
  const index = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.kind !== 'answered' || outcome.status !== 200) continue;
    for (const job of (outcome.body as { jobStatuses: { name: string; jobId: string }[] }).jobStatuses) index.set(job.name, Number(job.jobId));
  }
  return { names: tally(outcomes).acceptedJobs, index, outcomes, perApi: answered.map((o) => tally(o).acceptedJobs.length) };
}

/**
 * When the kills come: once a fifth of the batches are answered and some jobs ran, so that the
 * killed processes hold work and the APIs are still accepting the rest. Resolves with the jobs run
 * by then (or after a minute in any case).
 */
async function timeToKill(runsFile: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while ((answeredBatches < Math.ceil(BATCHES / 5) || countRuns(runsFile).size < 1) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return countRuns(runsFile).size;
}

const expectedStatus = (accepted: Accepted, record: JobRecord) => (failing(accepted.index.get(record.name)!) ? 'Failed' : 'Succeeded');

function progress(client: Redis, runsFile: string, extra: () => string = () => ''): NodeJS.Timeout {
  return setInterval(() => {
    void client
      .hgetall(new RedisKeys(COMPONENT).statusCounts)
      .then((counts) => process.stderr.write(`[replicas] ${JSON.stringify(counts)} runs=${countRuns(runsFile).size} ${extra()}\n`))
      .catch(() => undefined);
  }, 15_000);
}

/**
 * Several replicas of every role on one Redis, as a deployment scales them: 2 API processes take
 * the jobs, 2 workers launch them, 2 watchers record what Kubernetes reports; a worker and a
 * watcher are killed with -9 mid-run and started again. Every job is created exactly once and ends
 * with its right status. REPLICA_JOBS=<n> runs a smaller scenario while developing.
 */
describe(`replicas of every role (${JOBS} jobs)`, () => {
  describe('Kubernetes runtime: 2 api, 2 worker, 2 watcher processes', () => {
    const fixture: ReliabilityFixture = reliabilityFixture({ name: 'replicas-kube', logLevel: 'info' });
    let fake: FakeKubernetesServer;
    let kube: ServiceExtras;

    beforeAll(async () => {
      fake = await FakeKubernetesServer.start({ workDir: fixture.dir, terminationGraceMs: 500, historyLimit: 4 * JOBS + 10_000 });
      const kubeconfig = join(fixture.dir, 'kubeconfig');
      writeFileSync(kubeconfig, fake.kubeconfigFile(NAMESPACE));
      // 5,000 jobs at the default 20 calls a second would take minutes per worker: the fake server keeps up.
      kube = { env: { JOB_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig, KUBERNETES_NAMESPACE: NAMESPACE, KUBE_API_QPS: '500', KUBE_API_BURST: '500' } };
    });

    fixture.beforeTeardown(() => fake?.stop());

    it('creates every Job exactly once and records every final status right, through kills of a worker and a watcher', async () => {
      const { client, runsFile, start } = fixture;
      const finished = fixture.scratch.testStarted();
      const apis = await Promise.all([start('api-1', 'api', kube), start('api-2', 'api', kube)]);
      const workers = await Promise.all([start('worker-1', 'worker', kube), start('worker-2', 'worker', kube)]);
      const watchers = await Promise.all([start('watcher-1', 'watcher', kube), start('watcher-2', 'watcher', kube)]);
      const ticker = progress(client, runsFile, () => `jobObjects=${fake.list('jobs', NAMESPACE).length}`);
      try {
        const accepting = acceptAcross(apis, 'replicas-kube');
        // Kill a worker and a watcher once some jobs ran: both hold work then, and the APIs are still accepting.
        const ranAtKill = await timeToKill(runsFile);
        const batchesAnsweredAtKill = answeredBatches;
        await Promise.all([workers[0].kill(), watchers[0].kill()]);
        const [worker, watcher] = await Promise.all([start('worker-1-again', 'worker', kube), start('watcher-1-again', 'watcher', kube)]);
        const accepted = await accepting;
        const result = tally(accepted.outcomes);
        expect(result.acceptedJobs).toHaveLength(JOBS);

        const records = await waitUntilFinal(client, accepted.names, 1_200_000);
        const wrong = records.filter((r) => r.status !== expectedStatus(accepted, r)).map((r) => `${r.name}: ${r.status} ${r.message ?? ''}`);
        const objects = new Map<string, number>();
        const jobs = fake.list('jobs', NAMESPACE);
        for (const job of jobs) {
          const name = job.metadata.labels?.[LabelKey.jobName] ?? '';
          objects.set(name, (objects.get(name) ?? 0) + 1);
        }
        const created = fake.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 201).length;
        const createsThatFoundTheJob = fake.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 409).length;
        const runs = countRuns(runsFile);
        const figures = compareRuns(accepted.names, runs);
        printFigures('replicas, Kubernetes runtime (2 api, 2 worker, 2 watcher; a worker and a watcher killed -9)', {
          jobs: JOBS,
          acceptedPerApi: accepted.perApi.join('/'),
          accepted: result.acceptedJobs.length,
          ranAtKill,
          batchesAnsweredAtKill: `${batchesAnsweredAtKill}/${BATCHES}`,
          jobsCreated: created,
          createsThatFoundTheJob,
          jobObjects: jobs.length,
          succeeded: records.filter((r) => r.status === 'Succeeded').length,
          failed: records.filter((r) => r.status === 'Failed').length,
          wrongStatus: wrong.length,
          ran: [...runs.values()].reduce((a, b) => a + b, 0),
          lost: figures.lost.length,
          duplicated: figures.duplicated.length,
        });

        expect(wrong).toEqual([]);
        // One Job object per job, created once (a create that found it counts nothing), one run each.
        expect(created).toBe(JOBS);
        expect(accepted.names.filter((name) => objects.get(name) !== 1)).toEqual([]);
        expect(jobs).toHaveLength(JOBS);
        expect(figures.lost).toEqual([]);
        expect(figures.duplicated).toEqual([]);
        expect(figures.unacknowledged).toEqual([]);
        for (const survivor of [apis[0], apis[1], workers[1], watchers[1], worker, watcher]) expect(survivor.running).toBe(true);
        finished();
      } finally {
        clearInterval(ticker);
      }
    }, TEST_TIMEOUT_MS);
  });

  describe('local runtime: 2 api, 2 worker processes', () => {
    const MAX_RUNNING = 16;
    const fixture: ReliabilityFixture = reliabilityFixture({ name: 'replicas-local', logLevel: 'info', maxRunning: MAX_RUNNING });

    it('runs every job exactly once and records every final status right, through a kill of a worker', async () => {
      const { client, runsFile, start } = fixture;
      const finished = fixture.scratch.testStarted();
      const apis = await Promise.all([start('api-1', 'api'), start('api-2', 'api')]);
      const workers = await Promise.all([start('worker-1', 'worker'), start('worker-2', 'worker')]);
      const ticker = progress(client, runsFile);
      try {
        const accepting = acceptAcross(apis, 'replicas-local');
        const ranAtKill = await timeToKill(runsFile);
        const batchesAnsweredAtKill = answeredBatches;
        await workers[0].kill();
        const worker = await start('worker-1-again', 'worker');
        const accepted = await accepting;
        expect(accepted.names).toHaveLength(JOBS);

        const records = await waitUntilFinal(client, accepted.names, 1_200_000);
        const runs = countRuns(runsFile);
        const figures = compareRuns(accepted.names, runs);
        // The processes a killed worker supervised: their jobs end Failed, saying why (a local job
        // is a child of its worker; it is never launched a second time).
        const interrupted = records.filter((r) => r.status === 'Failed' && r.message !== undefined && [ORPHAN_MESSAGE, 'the local runtime no longer holds the job'].includes(r.message));
        const wrong = records
          .filter((r) => !interrupted.includes(r) && r.status !== expectedStatus(accepted, r))
          .map((r) => `${r.name}: ${r.status} ${r.message ?? ''}`);
        // Killed inside spawn(): may not have run, and is ended rather than launched again.
        const lost = figures.lost.filter((name) => !interrupted.some((r) => r.name === name));
        printFigures('replicas, local runtime (2 api, 2 worker; a worker killed -9)', {
          jobs: JOBS,
          accepted: accepted.names.length,
          acceptedPerApi: accepted.perApi.join('/'),
          ranAtKill,
          batchesAnsweredAtKill: `${batchesAnsweredAtKill}/${BATCHES}`,
          succeeded: records.filter((r) => r.status === 'Succeeded').length,
          failed: records.filter((r) => r.status === 'Failed').length,
          endedWithTheKilledWorker: interrupted.length,
          wrongStatus: wrong.length,
          ran: [...runs.values()].reduce((a, b) => a + b, 0),
          lost: lost.length,
          duplicated: figures.duplicated.length,
        });

        expect(wrong).toEqual([]);
        expect(lost).toEqual([]);
        expect(figures.duplicated).toEqual([]);
        expect(figures.unacknowledged).toEqual([]);
        expect(interrupted.length).toBeLessThanOrEqual(MAX_RUNNING);
        for (const survivor of [apis[0], apis[1], workers[1], worker]) expect(survivor.running).toBe(true);
        finished();
      } finally {
        clearInterval(ticker);
      }
    }, TEST_TIMEOUT_MS);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { BatchV1Api, type ConfigurationOptions, CoreV1Api, KubeConfig, Observable, type V1Job } from '@kubernetes/client-node';
import type { ResolvedJob } from '@rjs/core';
import { buildJobManifest, buildPayloadSecret, DEFAULT_NODE_TYPE_MAPPING } from '@rjs/runtime';
import { DEFAULT_WORKER_OPTIONS } from '../../apps/worker/src/worker-options';
import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { dec, int, type Row, times } from '../support/report';
import { jobWithoutPayload, Seeder, smallJob } from '../support/seed';
import { type Service, startService } from '../support/service';
import { median, sleep, waitFor } from '../support/stats';
import type { JobCreation } from '../services/fake-kubernetes.service';

const WARMUP_ROUNDS = 2;
const ROUNDS = 4;
const JOBS_PER_ROUND = 500;
const LOCAL_JOBS = 300;
const LATENCY = { min: 5, max: 20 };
const CONCURRENCY = DEFAULT_WORKER_OPTIONS.launchConcurrency;

/** Creations per second between the first and the last. */
export function creationRate(creations: JobCreation[]): number {
  if (creations.length < 2) return Number.NaN;
  const times = creations.map((c) => c.at).sort((a, b) => a - b);
  return ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]);
}

/**
 * The bare loop: for each job its Job, then its payload Secret owned by it (what a launch with a
 * payload sends), CONCURRENCY at a time. `keepAlive`: on one kept-alive agent, as the runtime
 * sends; otherwise the client's default (a new agent, so a new connection, per request).
 */
async function bareLoop(kubeconfig: string, namespace: string, jobs: { spec: ResolvedJob; payload: string }[], keepAlive: boolean): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const agent = new Agent({ keepAlive: true });
  const options: ConfigurationOptions | undefined = keepAlive
    ? {
        middleware: [
          {
            pre: (context) => {
              context.setAgent(agent);
              return new Observable(Promise.resolve(context));
            },
            post: (response) => new Observable(Promise.resolve(response)),
          },
        ],
        middlewareMergeStrategy: 'append',
      }
    : undefined;
  let next = 0;
  const loop = async () => {
    while (next < jobs.length) {
      const { spec, payload } = jobs[next++];
      const manifest = buildJobManifest(spec, { namespace, nodeTypes: DEFAULT_NODE_TYPE_MAPPING }, true);
      const created: V1Job = await batch.createNamespacedJob({ namespace, body: manifest }, options);
      const secret = buildPayloadSecret(spec, payload, { name: created.metadata!.name!, uid: created.metadata!.uid! }, namespace);
      await core.createNamespacedSecret({ namespace, body: secret }, options);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  } finally {
    agent.destroy();
  }
}

async function kubernetesDispatch(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const redis = await TestRedis.start();
  const fake = await startService<{ url: string; kubeconfig: string }>('fake kubernetes', 'fake-kubernetes.service', { latencyMs: LATENCY });
  const seeder = new Seeder(redis.url, { queue: true });
  let worker: Service | undefined;
  try {
    const creations = (namespace: string) => fake.call<JobCreation[]>('jobCreations', { namespace });
    worker = await startService(
      'scheduler (worker)',
      'scheduler.service',
      {
        redisUrl: redis.url,
        roles: 'worker',
        env: { JOB_RUNTIME: 'kubernetes', KUBECONFIG: fake.info.kubeconfig, KUBERNETES_NAMESPACE: 'bench', KUBE_API_QPS: '10000', KUBE_API_BURST: '100000' },
      },
      { execArgv: ctx.profile('dispatch-worker') },
    );
    const ours: number[] = [];
    const bare: number[] = [];
    const bareKeptAlive: number[] = [];
    // A launch ends with its Secret: rates are of Secret creations.
    const launches = (namespace: string) => fake.call<JobCreation[]>('jobCreations', { namespace, resource: 'secrets' });
    // The first rounds warm up (JIT, connections) and are not counted: a running worker is warm.
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      // The scheduler: a batch accepted and queued (as POST /batches does) while the worker waits for work.
      const batch = await seeder.batch(JOBS_PER_ROUND, smallJob);
      const total = (round + 1) * JOBS_PER_ROUND;
      await waitFor('the worker to launch every job', async () => (await launches('bench')).length >= total, 120_000, 50);
      const oursRate = creationRate((await launches('bench')).slice(total - JOBS_PER_ROUND, total));
      // The baselines, with the same jobs and payloads, while the worker is idle (in their order of the round).
      const jobs = (await seeder.specs(batch.jobNames)).map((spec, i) => ({ spec, payload: smallJob(i).payload! }));
      const order = round % 2 === 0 ? [false, true] : [true, false];
      const rates = new Map<boolean, number>();
      for (const keepAlive of order) {
        const namespace = `baseline-${keepAlive ? 'kept' : 'new'}-${round}`;
        await bareLoop(fake.info.kubeconfig, namespace, jobs, keepAlive);
        rates.set(keepAlive, creationRate(await launches(namespace)));
      }
      if (round >= WARMUP_ROUNDS) {
        ours.push(oursRate);
        bare.push(rates.get(false)!);
        bareKeptAlive.push(rates.get(true)!);
      }
    }
    const ratio = median(ours.map((rate, i) => rate / bare[i]));
    const ratioKeptAlive = median(ours.map((rate, i) => rate / bareKeptAlive[i]));
    const rounds = ours.map((rate, i) => `${int(rate)} vs ${int(bare[i])} vs ${int(bareKeptAlive[i])}`).join('; ');
    ctx.log(`Kubernetes, launches/s per round (scheduler vs bare loop vs bare loop kept alive): ${rounds}`);
    return {
      rows: [
        {
          id: '4',
          benchmark: `Dispatch rate: queue to Kubernetes API, Job + payload Secret per job (fake, ${LATENCY.min}-${LATENCY.max} ms/request)`,
          result: `${int(median(ours))} launches/s (worker launch concurrency ${CONCURRENCY})`,
          baseline: `bare createNamespacedJob + createNamespacedSecret loop, ${CONCURRENCY} at a time (client defaults): ${int(median(bare))} launches/s`,
          ratio: times(ratio),
          target: '>= 0.9x',
          met: ratio >= 0.9,
        },
        {
          id: '4c',
          benchmark: 'Dispatch rate against a bare loop on a kept-alive connection',
          result: `${int(median(ours))} launches/s`,
          baseline: `the same loop on one kept-alive agent: ${int(median(bareKeptAlive))} launches/s`,
          ratio: times(ratioKeptAlive),
          target: 'reported',
        },
      ],
      notes: [`Launches/s per round, scheduler vs bare loop (client defaults) vs bare loop kept alive: ${rounds}.`],
    };
  } finally {
    await worker?.stop();
    await seeder.close();
    await fake.stop();
    await redis.stop();
  }
}

async function localLaunchRate(ctx: BenchContext): Promise<Row> {
  const redis = await TestRedis.start();
  const workDir = mkdtempSync(join(tmpdir(), 'bench-local-'));
  const seeder = new Seeder(redis.url, { queue: true });
  let worker: Service | undefined;
  try {
    await seeder.batch(LOCAL_JOBS, jobWithoutPayload);
    worker = await startService('scheduler (local worker)', 'scheduler.service', {
      redisUrl: redis.url,
      roles: 'worker',
      env: { JOB_RUNTIME: 'local', LOCAL_WORK_DIR: workDir },
    }, { execArgv: ctx.profile('local-worker') });
    let first = Number.NaN;
    const waiting = async () => (await seeder.store.countByStatus()).Waiting;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(10)) {
      const left = await waiting();
      if (Number.isNaN(first) && left < LOCAL_JOBS) first = performance.now();
      if (left === 0) break;
    }
    const elapsed = performance.now() - first;
    if ((await waiting()) !== 0) throw new Error('the local worker did not launch every job in time');
    const rate = ((LOCAL_JOBS - 1) * 1000) / elapsed;
    ctx.log(`local: ${dec(rate, 0)} jobs/s`);
    return {
      id: '4b',
      benchmark: 'Local runtime launch rate (trivial program `true`)',
      result: `${dec(rate, 0)} jobs/s from Waiting to Running (${LOCAL_JOBS} queued, LOCAL_MAX_RUNNING default = cores)`,
      baseline: '-',
      ratio: '-',
      target: 'reported',
    };
  } finally {
    await worker?.stop();
    await seeder.close();
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** 4: dispatch rate to the Kubernetes API against a bare loop, and the local runtime's launch rate. */
export const dispatchRate: Benchmark = {
  id: '4',
  title: 'Dispatch rate',
  method: [
    `Kubernetes: a scheduler process with the role worker and JOB_RUNTIME=kubernetes (built from the environment, as in production) against the fake API server of the tests, in a child process of its own, whose every answer waits ${LATENCY.min}-${LATENCY.max} ms (uniform). ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds: a batch of ${JOBS_PER_ROUND} jobs with a small payload (two API calls each: the Job, then its payload Secret owned by it) is accepted and queued through the real write path and the worker launches it; then the baselines create the same ${JOBS_PER_ROUND} Jobs and Secrets (each in another namespace) while the worker is idle. The ratio is the median of the rounds' ratios.`,
    `The client-side rate limit is lifted for this figure (KUBE_API_QPS=10000, KUBE_API_BURST=100000) so that it measures the scheduler's own overhead; benchmark 6 measures the limiter. Launch concurrency: the worker's default, ${CONCURRENCY}.`,
    `Baseline: a bare loop of createNamespacedJob then createNamespacedSecret (@kubernetes/client-node, from the benchmark process) with the same manifests and payloads, ${CONCURRENCY} at a time, against the same fake: with the client's defaults (the target's baseline: a new connection per request, as the client makes it), and (4c, reported) on one kept-alive agent, as the runtime now sends (the two alternate in order each round). Rates are (launches - 1) / (last - first), a launch counted when its Secret creation reached the fake.`,
    `Local: ${LOCAL_JOBS} queued jobs whose command is \`true\`; a worker with JOB_RUNTIME=local; the rate is how fast the Waiting count falls to 0 (polled every 10 ms), from the first job that leaves Waiting.`,
  ],
  async run(ctx: BenchContext) {
    const k8s = await kubernetesDispatch(ctx);
    const local = await localLaunchRate(ctx);
    return { rows: [...k8s.rows, local], notes: k8s.notes };
  },
};

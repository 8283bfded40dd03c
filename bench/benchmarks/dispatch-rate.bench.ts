import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { buildJobManifest, DEFAULT_NODE_TYPE_MAPPING } from '@rjs/runtime';
import { DEFAULT_WORKER_OPTIONS } from '../../apps/worker/src/worker-options';
import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { dec, int, type Row, times } from '../support/report';
import { jobWithoutPayload, Seeder } from '../support/seed';
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

async function bareLoop(kubeconfig: string, namespace: string, manifests: ReturnType<typeof buildJobManifest>[]): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const api = kubeConfig.makeApiClient(BatchV1Api);
  let next = 0;
  const loop = async () => {
    while (next < manifests.length) {
      const body = manifests[next++];
      await api.createNamespacedJob({ namespace, body: { ...body, metadata: { ...body.metadata, namespace } } });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
}

async function kubernetesDispatch(ctx: BenchContext): Promise<{ row: Row; notes: string[] }> {
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
    // The first rounds warm up (JIT, connections) and are not counted: a running worker is warm.
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      // The scheduler: a batch accepted and queued (as POST /batches does) while the worker waits for work.
      const batch = await seeder.batch(JOBS_PER_ROUND, jobWithoutPayload);
      const total = (round + 1) * JOBS_PER_ROUND;
      await waitFor('the worker to create every Job', async () => (await creations('bench')).length >= total, 120_000, 50);
      const oursRate = creationRate((await creations('bench')).slice(total - JOBS_PER_ROUND, total));
      // The baseline, with the same manifests, while the worker is idle.
      const manifests = (await seeder.specs(batch.jobNames)).map((spec) => buildJobManifest(spec, { namespace: 'bench', nodeTypes: DEFAULT_NODE_TYPE_MAPPING }, false));
      await bareLoop(fake.info.kubeconfig, `baseline-${round}`, manifests);
      const bareRate = creationRate(await creations(`baseline-${round}`));
      if (round >= WARMUP_ROUNDS) {
        ours.push(oursRate);
        bare.push(bareRate);
      }
    }
    const ratio = median(ours.map((rate, i) => rate / bare[i]));
    const rounds = ours.map((rate, i) => `${int(rate)} vs ${int(bare[i])}`).join('; ');
    ctx.log(`Kubernetes, Jobs/s per round (scheduler vs bare loop): ${rounds}`);
    return {
      row: {
        id: '4',
        benchmark: `Dispatch rate: queue to Kubernetes API (fake, ${LATENCY.min}-${LATENCY.max} ms/request)`,
        result: `${int(median(ours))} Jobs/s (worker launch concurrency ${CONCURRENCY})`,
        baseline: `bare createNamespacedJob loop, ${CONCURRENCY} at a time: ${int(median(bare))} Jobs/s`,
        ratio: times(ratio),
        target: '>= 0.8x',
        met: ratio >= 0.8,
      },
      notes: [`Jobs/s per round, scheduler vs bare loop: ${rounds}.`],
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
    `Kubernetes: a scheduler process with the role worker and JOB_RUNTIME=kubernetes (built from the environment, as in production) against the fake API server of the tests, in a child process of its own, whose every answer waits ${LATENCY.min}-${LATENCY.max} ms (uniform). ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds: a batch of ${JOBS_PER_ROUND} jobs without payload (one API call each: the Job) is accepted and queued through the real write path and the worker launches it; then the baseline creates the same ${JOBS_PER_ROUND} Jobs (in another namespace) while the worker is idle. The ratio is the median of the rounds' ratios.`,
    `The client-side rate limit is lifted for this figure (KUBE_API_QPS=10000, KUBE_API_BURST=100000) so that it measures the scheduler's own overhead; benchmark 6 measures the limiter. Launch concurrency: the worker's default, ${CONCURRENCY}.`,
    `Baseline: a bare loop of createNamespacedJob (@kubernetes/client-node, from the benchmark process) with the same manifests, ${CONCURRENCY} at a time, against the same fake. Rates are (creations - 1) / (last - first) as the fake saw them arrive.`,
    `Local: ${LOCAL_JOBS} queued jobs whose command is \`true\`; a worker with JOB_RUNTIME=local; the rate is how fast the Waiting count falls to 0 (polled every 10 ms), from the first job that leaves Waiting.`,
  ],
  async run(ctx: BenchContext) {
    const k8s = await kubernetesDispatch(ctx);
    const local = await localLaunchRate(ctx);
    return { rows: [k8s.row, local], notes: k8s.notes };
  },
};

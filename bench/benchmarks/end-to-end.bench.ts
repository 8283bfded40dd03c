import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { kubernetesEnv, ready } from '../support/kubernetes-setup';
import { dec, int, type Row, times } from '../support/report';
import { type Service, startService } from '../support/service';
import { percentile, sleep } from '../support/stats';
import type { JobCreation } from '../services/fake-kubernetes.service';

const LATENCY = { min: 5, max: 20 };
const COMPLETE_AFTER_MS = 200;
const BURST = 30;
/** `npm run bench` runs the small one; `npm run bench -- --large` the 10,000-job one (~9 min). */
export const END_TO_END_RUNS = {
  small: { jobs: 1_000, qps: 50 },
  large: { jobs: 10_000, qps: 20 },
};

const now = () => performance.timeOrigin + performance.now();

/** 10 (issue item 3): a batch accepted over HTTP until every Job exists, and until every job is Succeeded. */
export function endToEnd(size: keyof typeof END_TO_END_RUNS): Benchmark {
  const { jobs, qps } = END_TO_END_RUNS[size];
  return {
    id: size === 'small' ? '10' : '10L',
    title: `End to end: ${int(jobs)}-job batch on Kubernetes at ${qps} QPS`,
    method: [
      `One scheduler process with the roles api, worker and watcher (JOB_RUNTIME=kubernetes, KUBE_API_QPS=${qps}, KUBE_API_BURST=${BURST}: one request budget for launches, watches and the check for vanished Jobs, every 30 s), against the fake API server (${LATENCY.min}-${LATENCY.max} ms per request) in its fast completion mode: ${COMPLETE_AFTER_MS} ms after a Job is created, its pod is created and succeeds and the Job is marked Complete (three writes on the watches, as a cluster makes them).`,
      `A batch of ${int(jobs)} jobs without payload (one API call each: the Job) is POSTed to /api/v1/batches. "All created": from sending it to the last Job creation the fake saw; the floor is ${int(jobs)} / ${qps} QPS (the burst of ${BURST} and the watches' own calls roughly cancel out). "Succeeded lag": GET /api/v1/batches/{name} every second; per job, from its Job's completion at the fake to the first answer that shows it Succeeded (so up to ~1 s late).`,
      'The 10,000-job run at the default 20 QPS takes ~9 minutes: `npm run bench -- --large` (or `--only 10L`); `npm run bench` runs the 1,000-job one at a higher QPS.',
    ],
    run: (ctx) => run(ctx, jobs, qps, size),
  };
}

async function run(ctx: BenchContext, jobs: number, qps: number, size: string) {
  const redis = await TestRedis.start();
  const fake = await startService<{ url: string; kubeconfig: string }>('fake kubernetes', 'fake-kubernetes.service', {
    latencyMs: LATENCY,
    completeAfterMs: COMPLETE_AFTER_MS,
  });
  let scheduler: Service<{ url: string }> | undefined;
  try {
    const env = kubernetesEnv(fake.info.kubeconfig, 'bench', { KUBE_API_QPS: String(qps), KUBE_API_BURST: String(BURST) });
    scheduler = await startService<{ url: string }>('scheduler (all roles)', 'scheduler.service', { redisUrl: redis.url, roles: 'api,worker,watcher', env }, { execArgv: ctx.profile(`e2e-${size}`) });
    await ready(scheduler.info.url);
    const body = JSON.stringify({ jobScheduleDescriptions: Array.from({ length: jobs }, (_, i) => ({ jobId: `job-${i}` })) });
    const started = now();
    const response = await fetch(`${scheduler.info.url}/api/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const batch = (await response.json()) as { name: string };
    if (response.status !== 200) throw new Error(`POST /api/v1/batches answered ${response.status}`);
    const accepted = now() - started;

    // Until every job is Succeeded, once a second: when each was first seen so.
    const seenSucceeded = new Map<string, number>();
    let creations: JobCreation[] = [];
    const deadline = started + ((jobs / qps) * 3 + 120) * 1000;
    while (seenSucceeded.size < jobs) {
      if (now() > deadline) throw new Error(`only ${seenSucceeded.size} of ${jobs} jobs Succeeded in time`);
      await sleep(1000);
      const answer = await fetch(`${scheduler.info.url}/api/v1/batches/${batch.name}`);
      const at = now();
      const state = (await answer.json()) as { jobStatuses?: { name: string; status: string }[] };
      for (const job of state.jobStatuses ?? []) if (job.status === 'Succeeded' && !seenSucceeded.has(job.name)) seenSucceeded.set(job.name, at);
      if (creations.length < jobs) {
        creations = await fake.call<JobCreation[]>('jobCreations', { namespace: 'bench' });
        ctx.log(`${Math.round((at - started) / 1000)} s: ${creations.length} Jobs created, ${seenSucceeded.size} Succeeded`);
      }
    }
    const lastCreation = Math.max(...creations.map((c) => c.at));
    const allCreated = (lastCreation - started) / 1000;
    const floor = jobs / qps;
    const completions = await fake.call<{ name: string; at: number }[]>('completions');
    const completedAt = new Map(completions.map((c) => [c.name, c.at]));
    const lags = [...seenSucceeded].map(([name, at]) => (at - (completedAt.get(name) ?? at)) / 1000);
    const allSucceeded = (Math.max(...seenSucceeded.values()) - started) / 1000;
    const gets = await fake.call<number>('requestCount', { verb: 'get', resource: 'jobs' });
    const worstLag = Math.max(...lags);
    ctx.log(`accepted in ${dec(accepted, 0)} ms; all created after ${dec(allCreated)} s (floor ${dec(floor)} s), all Succeeded after ${dec(allSucceeded)} s; lag p50 ${dec(percentile(lags, 50), 2)} s, max ${dec(worstLag, 2)} s; ${gets} GETs of Jobs`);
    const rows: Row[] = [
      {
        id: size === 'small' ? '10' : '10L',
        benchmark: `End to end, ${int(jobs)}-job batch at ${qps} QPS (burst ${BURST}): accepted until every Job exists`,
        result: `${dec(allCreated)} s (accepted in ${dec(accepted / 1000, 2)} s; ${int(gets)} GETs of single Jobs by the scheduler)`,
        baseline: `floor ${int(jobs)} / ${qps} QPS = ${dec(floor)} s`,
        ratio: times(allCreated / floor),
        target: '<= 1.1x',
        met: allCreated / floor <= 1.1,
      },
      {
        id: size === 'small' ? '10' : '10L',
        benchmark: `End to end, ${int(jobs)} jobs: Job completed (fake, ${COMPLETE_AFTER_MS} ms after creation) until GET shows Succeeded`,
        result: `p50 ${dec(percentile(lags, 50), 2)} s, p99 ${dec(percentile(lags, 99), 2)} s, max ${dec(worstLag, 2)} s; all Succeeded ${dec(allSucceeded)} s after the POST`,
        baseline: '-',
        ratio: '-',
        target: '<= 60 s each',
        met: worstLag <= 60,
      },
    ];
    return { rows };
  } finally {
    await scheduler?.stop();
    await fake.stop();
    await redis.stop();
  }
}

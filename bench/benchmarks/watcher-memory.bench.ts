import Redis from 'ioredis';
import { TestRedis } from '../../test/support/redis-server';
import type { Benchmark, BenchContext } from '../support/benchmark';
import { createLiveJobs, deploymentProcessEnv, kubernetesEnv, ready } from '../support/kubernetes-setup';
import { mb, type Row } from '../support/report';
import { jobWithoutPayload, Seeder } from '../support/seed';
import { type Service, startService } from '../support/service';
import { sleep } from '../support/stats';

const JOBS = 10_000;
const TARGET = 200 * 1024 * 1024;

/** Waits until Redis has processed (almost) no command for a second: the watcher has recorded what it saw. */
async function quiet(redisUrl: string, timeoutMs = 120_000): Promise<void> {
  const client = new Redis(redisUrl);
  const processed = async () => Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))?.[1] ?? 0);
  try {
    const deadline = Date.now() + timeoutMs;
    let last = await processed();
    for (;;) {
      await sleep(1000);
      const now = await processed();
      if (now - last < 20) return;
      if (Date.now() > deadline) throw new Error('the watcher did not settle');
      last = now;
    }
  } finally {
    client.disconnect();
  }
}

/** 9b: the watcher's RSS while it follows 10,000 live Jobs. */
export const watcherMemory: Benchmark = {
  id: '9b',
  title: 'Watcher memory',
  method: [
    `${JOBS.toLocaleString('en-US')} jobs are accepted (records in Redis) and their Kubernetes Jobs, each with a pending pod, put on the fake API server (built by the scheduler's manifest builder: ~${JOBS * 2} objects).`,
    'A scheduler process with the role watcher alone (JOB_RUNTIME=kubernetes, default QPS/burst) lists and watches them; once /readyz answers 200 and Redis has gone quiet (the watcher recorded its observations), its RSS is read after a forced GC: the target is judged on it, as for 9a. Its peak RSS (maxrss, reached during the initial list) is reported beside.',
    'The process gets the environment k8s/base/watcher.yaml gives it (NODE_OPTIONS=--max-semi-space-size=8, MALLOC_MMAP_THRESHOLD_=131072).',
    'The fake answers lists in pages of the `limit` the watcher asks (500), with `continue` tokens, as kube-apiserver does. The process runs on the Node.js that runs the benchmark (the container image runs Node 24: run bench/run.js with it to measure that).',
  ],
  async run(ctx: BenchContext) {
    const redis = await TestRedis.start();
    const fake = await startService<{ url: string; kubeconfig: string }>('fake kubernetes', 'fake-kubernetes.service', { latencyMs: { min: 5, max: 20 } });
    const seeder = new Seeder(redis.url);
    let watcher: Service<{ url: string }> | undefined;
    try {
      const batch = await seeder.batch(JOBS, jobWithoutPayload);
      await createLiveJobs(fake, seeder, 'bench', batch.jobNames);
      const started = performance.now();
      watcher = await startService<{ url: string }>('scheduler (watcher)', 'scheduler.service', { redisUrl: redis.url, roles: 'watcher', env: kubernetesEnv(fake.info.kubeconfig, 'bench') }, { execArgv: ctx.profile('watcher-memory'), env: deploymentProcessEnv('watcher') });
      await ready(watcher.info.url);
      const synced = (performance.now() - started) / 1000;
      await quiet(redis.url);
      const memory = await watcher.memory({ gc: true });
      ctx.log(`ready after ${synced.toFixed(1)} s; RSS ${mb(memory.rss)}, peak ${mb(memory.maxRss)}, heap ${mb(memory.heapUsed)} used of ${mb(memory.heapTotal ?? 0)}, external ${mb(memory.external ?? 0)}`);
      const row: Row = {
        id: '9b',
        benchmark: `Memory: watcher following ${JOBS.toLocaleString('en-US')} live Jobs`,
        result: `RSS ${mb(memory.rss)} (after a GC), peak ${mb(memory.maxRss)}; ready ${synced.toFixed(1)} s after start`,
        baseline: '-',
        ratio: '-',
        target: '<= 200 MB',
        met: memory.rss <= TARGET,
      };
      return { rows: [row] };
    } finally {
      await watcher?.stop();
      await seeder.close();
      await fake.stop();
      await redis.stop();
    }
  },
};

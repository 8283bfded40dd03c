import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { RedisKeys } from '@rjs/store';
import { eventually } from '../support/eventually';
import { type TestRedis, withRedis } from '../support/redis-server';
import { ensureBuilt, ServiceProcess } from '../support/service-process';
import { writeRadixConfig } from '../support/radixconfig';

/**
 * MAX_ACTIVE_JOBS and priorities with real parts: the built service as separate API and worker
 * processes (local runtime) on one redis-server. Each job is a shell that, while it runs, holds an
 * entry (its PID) in a shared directory and records its own name and how many of the entries are
 * live processes: those lines show the launch order and how many jobs ran at once, whatever process
 * launched them (a job killed before it could remove its entry is not counted).
 */
const JOB_SCRIPT =
  'mkdir "$RUNNING/$$"; n=0; live=""; for p in $(ls "$RUNNING"); do kill -0 "$p" 2>/dev/null && n=$((n+1)) && live="$live,$p:$(cut -d" " -f4 /proc/$p/stat)"; done; ' +
  'echo "$RADIX_JOB_NAME $n $$$live" >> "$SEEN"; sleep "$SLEEP"; rmdir "$RUNNING/$$"';

type Json = Record<string, unknown>;

describe('launch slots (MAX_ACTIVE_JOBS) and priorities across worker processes', () => {
  let redis: TestRedis;
  let client: Redis;
  let dir: string;
  const services: ServiceProcess[] = [];
  withRedis(({ redis: server, closeAfter }) => {
    redis = server;
    client = server.client();
    dir = mkdtempSync(join(tmpdir(), 'rjs-scheduling-'));
    closeAfter(() => rmSync(dir, { recursive: true, force: true }));
    closeAfter(() => client.quit());
    closeAfter(() => Promise.all(services.map((s) => s.stop())));
  });

  const keys = new RedisKeys('compute');
  // Each test has processes of its own (their MAX_ACTIVE_JOBS differs): none outlives its test.
  afterEach(() => Promise.all(services.splice(0).map((s) => s.stop())));

  async function start(name: string, roles: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    ensureBuilt();
    const service = await ServiceProcess.start({
      logFile: join(dir, `${name}.log`),
      env: {
        REDIS_URL: redis.url,
        RADIX_CONFIG: join(dir, 'radixconfig.yaml'),
        ROLES: roles,
        JOB_RUNTIME: 'local',
        LOCAL_WORK_DIR: join(dir, 'work'),
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    services.push(service);
    await service.ready();
    return service;
  }

  function setUp(run: string, sleepSeconds: string): { seen: string } {
    const running = join(dir, `${run}-running`);
    mkdirSync(running);
    const seen = join(dir, `${run}-seen`);
    writeFileSync(seen, '');
    writeRadixConfig(dir, 'scheduling', {
      command: ['/bin/sh', '-c', JOB_SCRIPT],
      timeLimitSeconds: 300,
      variables: { RUNNING: running, SEEN: seen, SLEEP: sleepSeconds },
    });
    return { seen };
  }

  const seenLines = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, count] = line.split(' ');
        return { name, count: Number(count) };
      });

  async function post(url: string, path: string, body: unknown): Promise<Json> {
    const response = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return (await response.json()) as Json;
  }

  async function statusCounts(): Promise<Record<string, number>> {
    const stored = await client.hgetall(keys.statusCounts);
    return Object.fromEntries(Object.entries(stored).map(([status, n]) => [status, Number(n)]));
  }

  async function finalCount(): Promise<number> {
    const counts = await statusCounts();
    return (counts.Succeeded ?? 0) + (counts.Failed ?? 0) + (counts.Stopped ?? 0);
  }

  it('launches Waiting jobs by priority, then in arrival order', async () => {
    const { seen } = setUp('order', '0');
    const api = await start('order-api', 'api');
    // Accepted while no worker runs: all of them wait at the same time.
    const expected: { name: string; priority: number; arrival: number }[] = [];
    let arrival = 0;
    const record = (jobs: Json[]) => jobs.forEach((job) => expected.push({ name: job.name as string, priority: (job.priority as number | undefined) ?? 0, arrival: arrival++ }));
    // The first hand-off holds one job of the lowest priority: a worker that launched before it had
    // turned every waiting hand-off into launch work would take that job first.
    record([await post(api.url, '/api/v1/jobs', { jobId: 'first-and-lowest', priority: 0 })]);
    const priorities = [0, 5, 1000, 0, 5, 300, 0, 1000, 5, 0];
    for (const [i, priority] of priorities.entries()) {
      if (i % 3 === 0) {
        const batch = await post(api.url, '/api/v1/batches', {
          defaultRadixJobComponentConfig: { priority },
          jobScheduleDescriptions: [{ jobId: `b${i}-0` }, { jobId: `b${i}-1`, priority: 1000 - priority }, { jobId: `b${i}-2` }],
        });
        record(batch.jobStatuses as Json[]);
      } else {
        record([await post(api.url, '/api/v1/jobs', { jobId: `j${i}`, priority })]);
      }
    }
    expected.sort((a, b) => b.priority - a.priority || a.arrival - b.arrival);

    // The queue shows the order before anything launches.
    const queue = (await (await fetch(`${api.url}/api/v1/queue?limit=1000`)).json()) as Json[];
    expect(queue.map((entry) => entry.name)).toEqual(expected.map((job) => job.name));

    await start('order-worker', 'worker', { MAX_ACTIVE_JOBS: '1', LOCAL_MAX_RUNNING: '1' });
    await eventually(async () => (await statusCounts()).Succeeded === expected.length, () => `all jobs to succeed: ${JSON.stringify(seenLines(seen).length)} ran`, 120_000);
    expect(seenLines(seen).map((line) => line.name)).toEqual(expected.map((job) => job.name));
    expect(await client.exists(keys.slots, keys.waiting)).toBe(0);
  });

  it('never has more than MAX_ACTIVE_JOBS jobs launched at once across three worker processes (1,000 jobs)', async () => {
    const CAP = 6;
    const { seen } = setUp('cap', '0.05');
    const api = await start('cap-api', 'api');
    const names: string[] = [];
    for (let b = 0; b < 4; b++) {
      const batch = await post(api.url, '/api/v1/batches', {
        defaultRadixJobComponentConfig: { priority: b * 10 },
        jobScheduleDescriptions: Array.from({ length: 250 }, (_, i) => ({ jobId: `${b}-${i}` })),
      });
      names.push(...(batch.jobStatuses as Json[]).map((job) => job.name as string));
    }
    // The first test's jobs are in the same Redis: count from here.
    const finalBefore = await finalCount();
    const succeededBefore = (await statusCounts()).Succeeded ?? 0;
    // Each worker process may run 4 jobs: 12 together, twice the cap.
    const env = { MAX_ACTIVE_JOBS: String(CAP), LOCAL_MAX_RUNNING: '4' };
    await Promise.all(['cap-worker-1', 'cap-worker-2', 'cap-worker-3'].map((name) => start(name, 'worker', env)));

    // Sampled while they run: the slots and the records that are launched and not final.
    let maxSlots = 0;
    let maxLaunchedRecords = 0;
    await eventually(
      async () => {
        const [slots, counts] = await Promise.all([client.hlen(keys.slots), statusCounts()]);
        maxSlots = Math.max(maxSlots, slots);
        maxLaunchedRecords = Math.max(maxLaunchedRecords, (counts.Active ?? 0) + (counts.Running ?? 0) + (counts.Stopping ?? 0));
        return (counts.Succeeded ?? 0) + (counts.Failed ?? 0) + (counts.Stopped ?? 0) - finalBefore === names.length;
      },
      () => `1,000 jobs to succeed: ${seenLines(seen).length} ran`,
      400_000,
    );
    const lines = seenLines(seen);
    const maxRunning = Math.max(...lines.map((line) => line.count));
    process.stdout.write(`[cap] ${lines.length} jobs, cap ${CAP}: at most ${maxRunning} running at once (seen by the jobs), ${maxSlots} slots, ${maxLaunchedRecords} launched records\n`);
    const counts = await statusCounts();
    if (counts.Succeeded - succeededBefore !== names.length) {
      const failed = (await Promise.all(names.map((name) => client.hget(keys.job(name), 'doc')))).map((doc) => JSON.parse(doc!) as Json).filter((job) => job.status !== 'Succeeded');
      process.stdout.write(`[cap] not succeeded: ${JSON.stringify(failed.slice(0, 3))}\n`);
    }
    expect(counts.Succeeded - succeededBefore).toBe(names.length);
    expect(new Set(lines.map((line) => line.name))).toEqual(new Set(names));
    expect(lines).toHaveLength(names.length);
    expect(maxRunning).toBeLessThanOrEqual(CAP);
    expect(maxSlots).toBeLessThanOrEqual(CAP);
    expect(maxLaunchedRecords).toBeLessThanOrEqual(CAP);
    // Every slot was given back.
    expect(await client.hlen(keys.slots)).toBe(0);
  }, 600_000);

  it('leaks no slot when a worker process holding slots is killed with -9', async () => {
    const CAP = 4;
    const JOBS = 60;
    const { seen } = setUp('kill', '0.5');
    const api = await start('kill-api', 'api');
    const finalBefore = await finalCount();
    const batch = await post(api.url, '/api/v1/batches', { jobScheduleDescriptions: Array.from({ length: JOBS }, (_, i) => ({ jobId: `k-${i}` })) });
    const names = (batch.jobStatuses as Json[]).map((job) => job.name as string);
    const env = { MAX_ACTIVE_JOBS: String(CAP), LOCAL_MAX_RUNNING: '4' };
    const doomed = await start('kill-worker-doomed', 'worker', env);
    // The doomed worker alone first: every slot taken is its own when it dies.
    await eventually(async () => (await client.hlen(keys.slots)) === CAP, 'the doomed worker to hold every slot', 60_000);
    await doomed.kill();
    await start('kill-worker-survivor', 'worker', env);

    let maxSlots = 0;
    let last: Record<string, number> = {};
    await eventually(
      async () => {
        maxSlots = Math.max(maxSlots, await client.hlen(keys.slots));
        last = await statusCounts();
        return (await finalCount()) - finalBefore === names.length;
      },
      () => `every job to be final: ${JSON.stringify(last)}`,
      300_000,
    );
    const records = (await Promise.all(names.map((name) => client.hget(keys.job(name), 'doc')))).map((doc) => JSON.parse(doc!) as Json);
    const notSucceeded = records.filter((record) => record.status !== 'Succeeded');
    process.stdout.write(`[kill] over the cap: ${readFileSync(seen, 'utf8').split('\n').filter((line) => Number(line.split(' ')[1]) > CAP).join(' | ')}\n`);
    process.stdout.write(`[kill] doomed pid ${doomed.pid}\n`);
    process.stdout.write(`[kill] ${names.length} jobs: ${names.length - notSucceeded.length} succeeded, others: ${JSON.stringify(notSucceeded.map((r) => [r.status, r.message]))}\n`);
    // Jobs the dead worker supervised end with a message saying so; at most the ones it held slots for.
    expect(notSucceeded.length).toBeLessThanOrEqual(CAP);
    expect(Math.max(...seenLines(seen).map((line) => line.count))).toBeLessThanOrEqual(CAP);
    expect(maxSlots).toBeLessThanOrEqual(CAP);
    expect(await client.hlen(keys.slots)).toBe(0);
  }, 600_000);
});

import { JobAcceptor, JobStatus, type StatusStore } from '@rjs/core';
import type { BullMqWorkQueue } from '@rjs/queue';
import { Metrics } from '@rjs/platform';
import { STATUS_STORE, WORK_QUEUE } from '@rjs/platform';
import { eventually } from '../support/eventually';
import type { TestRedis } from '../support/redis-server';
import { CONTROL_QUEUE, DISPATCH_QUEUE, expandHandOffsOf, LAUNCH_QUEUE, type OpsApp, startOpsApp, withOpsApp } from './ops-app';

async function scrape(ops: OpsApp): Promise<string> {
  const response = await fetch(`${ops.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** Scrapes until `holds` is true of the text; returns that text. */
function scrapeUntil(ops: OpsApp, holds: (text: string) => boolean, what: string): Promise<string> {
  return eventually(async () => {
    const text = await scrape(ops);
    return holds(text) && text;
  }, what);
}

/** The value of one series, e.g. `rjs_jobs{status="Waiting"}`; undefined when the scrape lacks it. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const jobs = (status: JobStatus) => `rjs_jobs{status="${status}"}`;
const depth = (queue: string, state: string) => `rjs_queue_jobs{queue="${queue}",state="${state}"}`;

describe('/metrics', () => {
  let redis: TestRedis;
  let ops: OpsApp;
  withOpsApp({}, (bed) => {
    ({ redis, ops } = bed);
  });

  it('serves the default process metrics in Prometheus text format', async () => {
    const text = await scrape(ops);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts job records by status and queue depths by state, as they are at scrape time', async () => {
    const acceptor = ops.app.get(JobAcceptor);
    const store = ops.app.get<StatusStore>(STATUS_STORE);
    const queue = ops.app.get<BullMqWorkQueue>(WORK_QUEUE);

    const batch = await acceptor.acceptBatch({ jobScheduleDescriptions: [{}, {}, {}] });
    await Promise.all([batch.handedOff, (await acceptor.acceptJob({})).handedOff]);
    let text = await scrape(ops);
    expect(sample(text, jobs('Waiting'))).toBe(4);
    expect(sample(text, jobs('Running'))).toBe(0);
    // Handed to the workers (one entry per hand-off), which the api role does not run.
    const handOffs = await queue.dispatchQueue.getWaitingCount();
    expect(handOffs).toBeGreaterThan(0);
    expect(sample(text, depth(DISPATCH_QUEUE, 'waiting'))).toBe(handOffs);
    expect(sample(text, depth(LAUNCH_QUEUE, 'prioritized'))).toBe(0);

    // A worker's part: launch work with a BullMQ priority (job priorities), waiting among the prioritized.
    await expandHandOffsOf(ops);
    text = await scrape(ops);
    expect(sample(text, depth(DISPATCH_QUEUE, 'waiting'))).toBe(0);
    expect(sample(text, depth(LAUNCH_QUEUE, 'prioritized'))).toBe(4);
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) expect(sample(text, depth(LAUNCH_QUEUE, state))).toBe(0);
    expect(sample(text, depth(CONTROL_QUEUE, 'waiting'))).toBe(0);

    const [first, second] = batch.jobs.map((j) => j.name);
    await store.update(first, (current) => ({ ...current, status: JobStatus.Running }));
    await store.update(second, (current) => ({ ...current, status: JobStatus.Failed }));
    await queue.enqueueStop([{ name: first, generation: 0 }]);
    text = await scrape(ops);
    expect(sample(text, jobs('Waiting'))).toBe(2);
    expect(sample(text, jobs('Running'))).toBe(1);
    expect(sample(text, jobs('Failed'))).toBe(1);
    expect(sample(text, depth(CONTROL_QUEUE, 'waiting'))).toBe(1);

    await store.deleteBatch(batch.batch.name);
    text = await scrape(ops);
    expect(sample(text, jobs('Waiting'))).toBe(1);
    expect(sample(text, jobs('Running'))).toBe(0);
    expect(sample(text, jobs('Failed'))).toBe(0);
  });

  it('times HTTP requests by method, route template and status code', async () => {
    const queue = ops.app.get<BullMqWorkQueue>(WORK_QUEUE);
    await queue.enqueueLaunch([{ name: 'timed-job', generation: 0 }]);
    expect((await fetch(`${ops.url}/admin/queues/api/queues/${LAUNCH_QUEUE}/timed-job`)).status).toBe(200);
    expect((await fetch(`${ops.url}/no/such/path/${Date.now()}`)).status).toBe(404);

    const route = '/admin/queues/api/queues/:queueName/:jobId';
    // The sample is taken when the response has been sent, which may be just after the client has it.
    const text = await scrapeUntil(ops, (t) => sample(t, `rjs_http_request_duration_seconds_count{method="GET",route="${route}",status_code="200"}`) === 1, 'the request to be timed');
    expect(sample(text, `rjs_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="${route}",status_code="200"}`)).toBe(1);
    expect(sample(text, `rjs_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}`)).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('/no/such/path');
  });

  it('exposes the dispatch latency, status lag and Kubernetes API errors that the other roles report', async () => {
    const metrics = ops.app.get(Metrics);
    metrics.observeDispatchLatency(0.3);
    metrics.observeDispatchLatency(2);
    metrics.observeStatusLag(1.5);
    metrics.countKubernetesApiError(429);
    metrics.countKubernetesApiError(429);
    metrics.countKubernetesApiError('ECONNREFUSED');

    const text = await scrape(ops);
    expect(sample(text, 'rjs_dispatch_latency_seconds_count')).toBe(2);
    expect(sample(text, 'rjs_dispatch_latency_seconds_sum')).toBeCloseTo(2.3);
    expect(sample(text, 'rjs_dispatch_latency_seconds_bucket{le="0.5"}')).toBe(1);
    expect(sample(text, 'rjs_status_lag_seconds_count')).toBe(1);
    expect(sample(text, 'rjs_kubernetes_api_errors_total{code="429"}')).toBe(2);
    expect(sample(text, 'rjs_kubernetes_api_errors_total{code="ECONNREFUSED"}')).toBe(1);
  });

  it('reports the launch slots in use (MAX_ACTIVE_JOBS), as they are at scrape time', async () => {
    const acceptor = ops.app.get(JobAcceptor);
    const store = ops.app.get<StatusStore>(STATUS_STORE);
    const { jobs: accepted } = await acceptor.acceptBatch({ jobScheduleDescriptions: [{}, {}] });
    const before = sample(await scrape(ops), 'rjs_active_slots')!;
    for (const job of accepted) expect(await store.takeSlot({ name: job.name, generation: 0 }, 100)).toBe('held');
    expect(sample(await scrape(ops), 'rjs_active_slots')).toBe(before + 2);
    await store.update(accepted[0].name, (current) => ({ ...current, status: JobStatus.Stopped }));
    expect(sample(await scrape(ops), 'rjs_active_slots')).toBe(before + 1);
  });

  it('keeps a registry per app, so that two apps in one process count apart', async () => {
    const other = await startOpsApp(redis.url);
    try {
      other.app.get(Metrics).countKubernetesApiError(500);
      expect(sample(await scrape(other), 'rjs_kubernetes_api_errors_total{code="500"}')).toBe(1);
      expect(sample(await scrape(ops), 'rjs_kubernetes_api_errors_total{code="500"}')).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('still serves the process metrics while Redis is down, leaving out what it cannot read', async () => {
    await redis.kill();
    const text = await scrape(ops);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, jobs('Waiting'))).toBeUndefined();
    expect(sample(text, depth(LAUNCH_QUEUE, 'waiting'))).toBeUndefined();

    await redis.restart();
    await scrapeUntil(ops, (t) => sample(t, jobs('Waiting')) === 0, 'the job counts to be back');
  });
});

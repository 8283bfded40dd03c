import { eventually } from '../support/eventually';
import { type Cluster, NAMESPACE, newRuntime, nodeJob, RecordingSink, reported, startCluster } from './kubernetes-test-support';

/** The watcher side of the runtime: list+watch through the real client against the fake API server. */
describe('KubernetesJobRuntime watcher (fake API server)', () => {
  let cluster: Cluster;

  afterEach(async () => {
    await cluster?.close();
  });

  const count = (verb: string, resource?: string) =>
    cluster.server.requests.filter((r) => r.verb === verb && (!resource || r.resource === resource)).length;

  const isComplete = (name: string) =>
    (cluster.server.get('jobs', NAMESPACE, name)?.status?.conditions ?? []).some((c: { type: string }) => c.type === 'Complete');

  it('reports Jobs launched by another replica (watch events reach the sink)', async () => {
    cluster = await startCluster();
    const launcher = newRuntime(cluster.server);
    try {
      const job = nodeJob('setTimeout(() => {}, 300)');
      await launcher.launch(job, undefined);
      await reported(cluster.sink, job.name, 'running');
      await reported(cluster.sink, job.name, 'succeeded');
      expect(cluster.sink.kinds(job.name)[0]).not.toBe('succeeded');
    } finally {
      await launcher.close();
    }
  });

  it('start() resolves only after the Jobs that already exist are reported', async () => {
    cluster = await startCluster({}, {}, false);
    const job = nodeJob('');
    await cluster.runtime.launch(job, undefined);
    await eventually(() => isComplete(job.name), 'the Job to complete');

    await cluster.runtime.start(cluster.sink.sink);

    expect(cluster.sink.last(job.name)).toMatchObject({ kind: 'succeeded', podStatuses: [expect.objectContaining({ exitCode: 0 })] });
    expect(cluster.runtime.isSynced()).toBe(true);
  });

  it('start() retries failing lists (500, 429) and then syncs', async () => {
    cluster = await startCluster({}, {}, false);
    cluster.server.failNext(2, 500, { verb: 'list', resource: 'jobs' });
    cluster.server.failNext(1, 429, { verb: 'list', resource: 'pods' }, 0);

    await cluster.runtime.start(cluster.sink.sink);

    expect(cluster.runtime.isSynced()).toBe(true);
    expect(cluster.server.requests.filter((r) => r.verb === 'list').map((r) => r.status)).toEqual(expect.arrayContaining([500, 500, 429, 200, 200]));
  });

  it('continues from its resourceVersion when the server ends a watch quietly (no relist)', async () => {
    cluster = await startCluster();
    const lists = count('list');
    const watches = count('watch');

    cluster.server.endWatches();
    const job = nodeJob('');
    await cluster.runtime.launch(job, undefined);

    await reported(cluster.sink, job.name, 'succeeded');
    expect(count('watch')).toBeGreaterThanOrEqual(watches + 2);
    expect(count('list')).toBe(lists);
  });

  it('heals a cut connection and reports what happened meanwhile', async () => {
    cluster = await startCluster();
    const job = nodeJob('setTimeout(() => {}, 200)');
    await cluster.runtime.launch(job, undefined);
    cluster.server.cutWatches();

    await reported(cluster.sink, job.name, 'succeeded');
  });

  it('relists after 410 Gone sent as an ERROR event on an open watch', async () => {
    cluster = await startCluster();
    const lists = count('list');
    const job = nodeJob('setTimeout(() => {}, 300)');
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'running');

    cluster.server.expireWatches();

    await reported(cluster.sink, job.name, 'succeeded');
    expect(count('list')).toBeGreaterThanOrEqual(lists + 2);
    expect(cluster.logger.lines.filter((l) => /410 Gone\); relisting/.test(l.message))).toHaveLength(2);
  });

  it.each([['event' as const], ['http' as const]])('relists when resuming from an expired resourceVersion (410 as %s)', async (mode) => {
    cluster = await startCluster();
    cluster.server.goneMode = mode;
    const lists = count('list');
    const job = nodeJob('setTimeout(() => {}, 300)');
    await cluster.runtime.launch(job, undefined);
    // Requests leave on kept-alive connections: the launch may be done before both watches are open.
    await eventually(() => cluster.server.openWatches === 2, 'both watches open');

    // Compacted history plus a quiet end: the next watch resumes from a resourceVersion that expired.
    cluster.server.store.compact();
    cluster.server.endWatches();

    // An informer already at the newest resourceVersion may resume; the one behind must relist.
    await reported(cluster.sink, job.name, 'succeeded');
    expect(count('list')).toBeGreaterThanOrEqual(lists + 1);
    expect(cluster.logger.lines.map((l) => l.message)).toEqual(expect.arrayContaining([expect.stringMatching(/410 Gone\); relisting/)]));
    if (mode === 'http') expect(cluster.server.requests.some((r) => r.verb === 'watch' && r.status === 410)).toBe(true);
  });

  it('is not synced while the API server is unreachable, reconciles what it missed, and is synced again', async () => {
    cluster = await startCluster();
    const job = nodeJob('setTimeout(() => {}, 400)');
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'running');

    await cluster.server.refuseConnections();
    await eventually(() => !cluster.runtime.isSynced(), 'isSynced() to turn false');
    // The job ends while nobody can watch it.
    await eventually(() => isComplete(job.name), 'the Job to complete');
    expect(cluster.sink.last(job.name)?.kind).toBe('running');

    await cluster.server.acceptConnections();
    await reported(cluster.sink, job.name, 'succeeded');
    await eventually(() => cluster.runtime.isSynced(), 'isSynced() to turn true');
  });

  it('re-watches after watch requests fail with 500 and 429', async () => {
    cluster = await startCluster();
    cluster.server.failNext(2, 500, { verb: 'watch', resource: 'jobs' });
    cluster.server.failNext(2, 429, { verb: 'watch', resource: 'pods' }, 0);
    cluster.server.endWatches();
    const job = nodeJob('');
    await cluster.runtime.launch(job, undefined);

    await reported(cluster.sink, job.name, 'succeeded');
    await eventually(() => cluster.runtime.isSynced(), 'isSynced() to turn true');
  });

  it('reports stopped for a Job that a worker elsewhere stopped (the watcher did not ask)', async () => {
    cluster = await startCluster();
    const worker = newRuntime(cluster.server);
    try {
      const job = nodeJob('setTimeout(() => {}, 60000)');
      await worker.launch(job, undefined);
      await reported(cluster.sink, job.name, 'running');

      await worker.stop(job.name);

      const stopped = await reported(cluster.sink, job.name, 'stopped');
      expect(stopped.podStatuses?.map((p) => p.replicaStatus.status)).toEqual(['Stopped']);
    } finally {
      await worker.close();
    }
  });

  it('has() answers from the synced watch cache for a Job it holds, and asks the API server only about one it lacks', async () => {
    cluster = await startCluster();
    const job = nodeJob('setTimeout(() => {}, 60000)');
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'running');
    const gets = () => count('get', 'jobs');
    const before = gets();

    expect(await cluster.runtime.has(job.name)).toBe(true);
    expect(gets()).toBe(before);
    expect(await cluster.runtime.has('batch-compute-20240501100000-abcdefgh-notthere')).toBe(false);
    expect(gets()).toBe(before + 1);
  });

  it('does not guess how a Job ended that vanished while the watch was down: has() answers false', async () => {
    cluster = await startCluster();
    const job = nodeJob('setTimeout(() => {}, 60000)');
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'running');

    await cluster.server.refuseConnections();
    cluster.server.controller.deleteJob(NAMESPACE, job.name, 'Background');
    // Compacted: the deletion can no longer be replayed to a resuming watch, only noticed by a relist.
    cluster.server.store.compact();
    await cluster.server.acceptConnections();

    const jobLists = () => cluster.server.requests.filter((r) => r.verb === 'list' && r.resource === 'jobs' && r.status === 200).length;
    await eventually(() => jobLists() >= 2 && cluster.runtime.isSynced(), 'a relist of the Jobs');
    expect(await cluster.runtime.has(job.name)).toBe(false);
    expect(cluster.sink.last(job.name)?.kind).toBe('running');
  });

  it('reports the outcome of a Job that Kubernetes deletes at once when it finishes (TTL 0)', async () => {
    cluster = await startCluster({ ttlSecondsAfterFinished: 0 });
    const job = nodeJob('process.exit(3)');
    await cluster.runtime.launch(job, undefined);

    const failed = await reported(cluster.sink, job.name, 'failed');
    expect(failed.podStatuses).toEqual([expect.objectContaining({ exitCode: 3 })]);
    await eventually(() => !cluster.server.get('jobs', NAMESPACE, job.name), 'the TTL to delete the Job');
    // has() answers from the watch cache while it holds the Job: false once the deletion arrived.
    await eventually(async () => !(await cluster.runtime.has(job.name)), 'has() to answer false');
  });

  it('retries a report the sink could not take (a store outage)', async () => {
    cluster = await startCluster();
    cluster.sink.failWith = new Error('redis down');
    const job = nodeJob('');
    await cluster.runtime.launch(job, undefined);
    await eventually(() => isComplete(job.name), 'the Job to complete');

    cluster.sink.failWith = undefined;
    await reported(cluster.sink, job.name, 'succeeded');
  });

  it('lets two watcher replicas report the same Job without coordination: both report the same outcome', async () => {
    cluster = await startCluster();
    const replica = newRuntime(cluster.server);
    const replicaSink = new RecordingSink();
    await replica.start(replicaSink.sink);
    try {
      const job = nodeJob('process.exit(0)');
      await cluster.runtime.launch(job, undefined);
      const first = await reported(cluster.sink, job.name, 'succeeded');
      const second = await reported(replicaSink, job.name, 'succeeded');
      expect(second).toEqual(first);
    } finally {
      await replica.close();
    }
  });

  it('reports the attempts of a job whose pod waits for an image that cannot be pulled as active', async () => {
    cluster = await startCluster({}, { images: { 'registry.example.com/missing:1': { pull: 'fail' } } });
    const job = nodeJob('', { image: 'registry.example.com/missing:1' });
    await cluster.runtime.launch(job, undefined);

    const active = await eventually(
      () => cluster.sink.of(job.name).find((o) => o.kind === 'active' && o.podStatuses?.[0]?.reason === 'ErrImagePull'),
      () => `an active observation with ErrImagePull; got ${JSON.stringify(cluster.sink.of(job.name))}`,
    );
    expect(active.podStatuses?.[0].replicaStatus.status).toBe('Pending');
  });
});

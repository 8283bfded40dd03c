import { type Cluster, nodeJob, startCluster } from './kubernetes-test-support';

describe('KubernetesJobRuntime client-side rate limit (fake API server)', () => {
  let cluster: Cluster;

  afterEach(async () => {
    await cluster?.close();
  });

  it('never lets more than burst + qps * T calls reach the API server in any window of T', async () => {
    const qps = 4;
    const burst = 2;
    cluster = await startCluster({ qps, burst }, {}, false);
    const jobs = Array.from({ length: 8 }, () => nodeJob('', { hasPayload: true }));

    // 8 launches at once: a Job and a Secret each, 16 calls. Unlimited, they all arrive within ~0.1 s.
    await Promise.all(jobs.map((job) => cluster.runtime.launch(job, 'payload')));

    const arrivals = cluster.server.requests.filter((r) => r.verb === 'create').map((r) => r.at);
    expect(arrivals).toHaveLength(16);
    // Arrivals are measured at the server: a request reaches it some time after its token was granted
    // (a fresh connection, a busy machine). Allowing up to `slack` of such delay, a window of T seconds
    // holds at most the grants of a window of T + slack.
    const slackSeconds = 0.2;
    for (const windowSeconds of [0.5, 1, 2]) {
      for (const from of arrivals) {
        const inWindow = arrivals.filter((t) => t >= from && t <= from + windowSeconds * 1000).length;
        expect(inWindow).toBeLessThanOrEqual(burst + qps * (windowSeconds + slackSeconds));
      }
    }
  });
});

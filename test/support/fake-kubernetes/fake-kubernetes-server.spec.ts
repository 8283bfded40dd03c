import { eventually } from '../eventually';
import { FakeKubernetesServer } from './fake-kubernetes-server';

/** Watches of the fake API server end with their client: none outlives it (and holds jest open with its timer). */
describe('watches of the fake Kubernetes API server', () => {
  let server: FakeKubernetesServer;
  const watchPods = (signal: AbortSignal) =>
    fetch(`${server.url}/api/v1/namespaces/jobs/pods?watch=true&timeoutSeconds=600`, { signal }).catch(() => undefined);
  const handled = () => eventually(() => server.requests[0]?.status === 200, 'the watch request to be handled');

  beforeEach(async () => {
    server = await FakeKubernetesServer.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('keeps a watch open while its client stays, and ends it when the client leaves', async () => {
    const client = new AbortController();
    await watchPods(client.signal);
    await eventually(() => server.openWatchCount() === 1, 'the watch to open');
    client.abort();
    await eventually(() => server.openWatchCount() === 0, 'the watch to end with its client');
  });

  it('opens no watch for a client that left while its request waited (latency)', async () => {
    server.latencyMs = 300;
    const client = new AbortController();
    const watch = watchPods(client.signal);
    await eventually(() => server.requests.length === 1, 'the watch request to arrive');
    client.abort();
    await watch;
    await handled();
    expect(server.openWatchCount()).toBe(0);
  });

  it('opens no watch for a request that stop() cut off while it waited', async () => {
    server.latencyMs = 300;
    const watch = watchPods(new AbortController().signal);
    await eventually(() => server.requests.length === 1, 'the watch request to arrive');
    await server.stop();
    await watch;
    await handled();
    expect(server.openWatchCount()).toBe(0);
  });
});

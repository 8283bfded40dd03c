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

/** Paged lists answer as kube-apiserver does: limit and continue, every page at the first one's resourceVersion. */
describe('paged lists of the fake Kubernetes API server', () => {
  let server: FakeKubernetesServer;
  const secret = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, data: {} });
  const list = async (query: string) => {
    const response = await fetch(`${server.url}/api/v1/namespaces/jobs/secrets?${query}`);
    return { status: response.status, body: (await response.json()) as { metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: { metadata: { name: string } }[]; reason?: string } };
  };

  beforeEach(async () => {
    server = await FakeKubernetesServer.start();
    for (const name of ['e', 'a', 'd', 'b', 'c']) server.store.create('Secret', 'jobs', secret(name, { keep: name === 'c' ? 'no' : 'yes' }));
  });
  afterEach(async () => {
    await server.stop();
  });

  it('returns pages of `limit` items in name order, each with a token for the rest, at one resourceVersion', async () => {
    const first = await list('limit=2');
    expect(first.body.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(first.body.metadata.remainingItemCount).toBe(3);
    // A change between the pages is not in the list: the watch from its resourceVersion reports it.
    server.store.create('Secret', 'jobs', secret('bb'));
    server.store.delete('Secret', 'jobs', 'd');
    const second = await list(`limit=2&continue=${encodeURIComponent(first.body.metadata.continue!)}`);
    expect(second.body.items.map((i) => i.metadata.name)).toEqual(['c', 'd']);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    const last = await list(`limit=2&continue=${encodeURIComponent(second.body.metadata.continue!)}`);
    expect(last.body.items.map((i) => i.metadata.name)).toEqual(['e']);
    expect(last.body.metadata.continue).toBeUndefined();
    expect((await list('')).body.items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'bb', 'c', 'e']);
  });

  it('pages what the label selector matches, without a count of the rest', async () => {
    const first = await list('limit=3&labelSelector=keep%3Dyes');
    expect(first.body.items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'd']);
    expect(first.body.metadata.remainingItemCount).toBeUndefined();
    const rest = await list(`limit=3&labelSelector=keep%3Dyes&continue=${encodeURIComponent(first.body.metadata.continue!)}`);
    expect(rest.body.items.map((i) => i.metadata.name)).toEqual(['e']);
    expect(rest.body.metadata.continue).toBeUndefined();
  });

  it('answers 400 to a token that is not one, and 410 Expired to one from before a compaction', async () => {
    expect((await list('limit=2&continue=bm90IGEgdG9rZW4=')).status).toBe(400);
    const first = await list('limit=2');
    server.store.compact();
    const expired = await list(`limit=2&continue=${encodeURIComponent(first.body.metadata.continue!)}`);
    expect(expired.status).toBe(410);
    expect(expired.body.reason).toBe('Expired');
  });
});

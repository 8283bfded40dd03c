import type { V1Job } from '@kubernetes/client-node';
import { ResourceInformer } from '@rjs/runtime';

/**
 * A watch request that never gets an answer (a black-holed connection: the client waits for the
 * response headers forever, so it has no handle to abort). The informer must give up on it, relist
 * and watch again; and stop() must not wait for it.
 */
describe('an informer whose watch request gets no answer', () => {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const job = (name: string, resourceVersion: string): V1Job => ({ metadata: { name, resourceVersion } });

  function blackHoleSource() {
    const calls = { list: 0, watch: 0 };
    return {
      calls,
      source: {
        list: async () => {
          calls.list++;
          return { items: [job(`job-${calls.list}`, String(calls.list))], resourceVersion: String(calls.list) };
        },
        // Never resolves: the response headers never come.
        watch: () => {
          calls.watch++;
          return new Promise<never>(() => undefined);
        },
      },
    };
  }

  afterEach(() => jest.useRealTimers());

  it('gives up on it after the watch timeout and its grace, relists and watches again', async () => {
    jest.useFakeTimers();
    const { calls, source } = blackHoleSource();
    const informer = new ResourceInformer<V1Job>({ name: 'jobs', source, backoff: { initialMs: 10, maxMs: 10 }, watchTimeoutSeconds: 10, logger: quiet });
    await informer.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toEqual({ list: 1, watch: 1 });
    // At most the watch timeout (10 s) plus the watchdog's grace (15 s), then the backoff.
    await jest.advanceTimersByTimeAsync(26_000);
    expect(calls.list).toBeGreaterThanOrEqual(2);
    expect(calls.watch).toBeGreaterThanOrEqual(2);
    expect(informer.get('job-2')).toBeDefined();
    const stopping = informer.stop();
    await jest.advanceTimersByTimeAsync(100);
    await stopping;
  });

  it('stops at once while the request hangs', async () => {
    const { calls, source } = blackHoleSource();
    const informer = new ResourceInformer<V1Job>({ name: 'jobs', source, backoff: { initialMs: 10, maxMs: 10 }, watchTimeoutSeconds: 600, logger: quiet });
    await informer.start();
    while (calls.watch === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(await stopsWithin(informer, 2_000)).toBe('stopped');
  });

  it('stops at once when stopped right after its first list', async () => {
    const { source } = blackHoleSource();
    const informer = new ResourceInformer<V1Job>({ name: 'jobs', source, backoff: { initialMs: 10, maxMs: 10 }, watchTimeoutSeconds: 600, logger: quiet });
    await informer.start();
    expect(await stopsWithin(informer, 2_000)).toBe('stopped');
  });

  async function stopsWithin(informer: ResourceInformer<V1Job>, ms: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)));
    const result = await Promise.race([informer.stop().then(() => 'stopped'), late]);
    clearTimeout(timer);
    return result;
  }
});

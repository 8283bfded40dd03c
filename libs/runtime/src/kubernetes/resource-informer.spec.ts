import type { KubernetesObject } from '@kubernetes/client-node';
import type { ListResult, WatchCallback } from './kubernetes-api';
import { type InformerEvent, type ListWatchSource, ResourceInformer } from './resource-informer';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const obj = (name: string, resourceVersion: string, labels: Record<string, string> = {}): KubernetesObject => ({ metadata: { name, resourceVersion, labels } });

interface OpenWatch {
  resourceVersion: string;
  emit: WatchCallback;
  end(error?: unknown): void;
  aborted: boolean;
}

/** A list+watch source whose lists are queued and whose watches the test drives by hand. */
class ScriptedSource implements ListWatchSource<KubernetesObject> {
  readonly lists: (ListResult<KubernetesObject> | Error | Promise<ListResult<KubernetesObject>>)[] = [];
  readonly watches: OpenWatch[] = [];
  listCalls = 0;

  async list(): Promise<ListResult<KubernetesObject>> {
    this.listCalls++;
    const next = this.lists.shift();
    if (!next) throw Object.assign(new Error('no list queued'), { code: 503 });
    if (next instanceof Error) throw next;
    return await next;
  }

  async watch(resourceVersion: string, _timeout: number, emit: WatchCallback, onDone: (error?: unknown) => void) {
    const watch: OpenWatch = { resourceVersion, emit, aborted: false, end: (error) => onDone(error) };
    this.watches.push(watch);
    return {
      abort: () => {
        watch.aborted = true;
        onDone(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      },
    };
  }

  get current(): OpenWatch {
    return this.watches[this.watches.length - 1];
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('ResourceInformer', () => {
  let source: ScriptedSource;
  let informer: ResourceInformer<KubernetesObject>;
  let events: string[];

  beforeEach(async () => {
    source = new ScriptedSource();
    informer = new ResourceInformer({
      name: 'test',
      source,
      backoff: { initialMs: 5, maxMs: 20 },
      watchTimeoutSeconds: 60,
      indexBy: (o) => o.metadata?.labels?.job,
      logger: quiet,
    });
    events = [];
    informer.onEvent((e: InformerEvent<KubernetesObject>) =>
      events.push(`${e.type} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}${e.type === 'deleted' && e.finalStateUnknown ? ' (final state unknown)' : ''}`),
    );
    source.lists.push({ items: [obj('a', '1', { job: 'j1' }), obj('b', '2', { job: 'j1' })], resourceVersion: '10' });
    await informer.start();
    await until(() => source.watches.length === 1, 'the first watch');
  });

  afterEach(() => informer.stop());

  it('lists, reports every object as added, is synced, and watches from the list resourceVersion', () => {
    expect(events).toEqual(['added a@1', 'added b@2']);
    expect(informer.isSynced()).toBe(true);
    expect(source.current.resourceVersion).toBe('10');
    expect(informer.byIndex('j1').map((o) => o.metadata?.name)).toEqual(['a', 'b']);
  });

  it('applies watch events to the cache and its index', () => {
    source.current.emit('MODIFIED', obj('a', '11', { job: 'j2' }));
    source.current.emit('DELETED', obj('b', '12', { job: 'j1' }));
    source.current.emit('ADDED', obj('c', '13'));
    expect(events.slice(2)).toEqual(['updated a@11', 'deleted b@12', 'added c@13']);
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['a', 'c']);
    expect(informer.byIndex('j1')).toEqual([]);
    expect(informer.byIndex('j2').map((o) => o.metadata?.name)).toEqual(['a']);
  });

  it('continues from the last resourceVersion when a watch ends quietly, without listing again', async () => {
    source.current.emit('MODIFIED', obj('a', '11'));
    source.current.end();
    await until(() => source.watches.length === 2, 'a second watch');
    expect(source.current.resourceVersion).toBe('11');
    expect(source.listCalls).toBe(1);
  });

  it('takes a BOOKMARK resourceVersion without reporting an event', async () => {
    source.current.emit('BOOKMARK', obj('', '20'));
    source.current.end();
    await until(() => source.watches.length === 2, 'a second watch');
    expect(source.current.resourceVersion).toBe('20');
    expect(events).toHaveLength(2);
  });

  it.each([
    ['an ERROR event with 410', (w: OpenWatch) => w.emit('ERROR', { code: 410, message: 'too old resource version' } as never)],
    ['an HTTP 410', (w: OpenWatch) => w.end(Object.assign(new Error('Gone'), { statusCode: 410 }))],
  ])('relists after %s and reconciles: objects gone meanwhile are reported deleted', async (_how, gone) => {
    source.lists.push({ items: [obj('b', '15'), obj('d', '16')], resourceVersion: '20' });
    gone(source.current);
    await until(() => source.watches.length === 2, 'a watch after the relist');
    expect(events.slice(2)).toEqual(['updated b@15', 'added d@16', 'deleted a@1 (final state unknown)']);
    expect(source.current.resourceVersion).toBe('20');
    expect(informer.isSynced()).toBe(true);
  });

  it('is not synced between a 410 and the relist that follows it', async () => {
    let heal!: (list: ListResult<KubernetesObject>) => void;
    source.lists.push(new Promise((resolve) => (heal = resolve)));
    source.current.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await until(() => source.listCalls === 2, 'the relist');
    expect(informer.isSynced()).toBe(false);
    heal({ items: [obj('a', '1')], resourceVersion: '25' });
    await until(() => source.watches.length === 2, 'a watch after the relist');
    expect(informer.isSynced()).toBe(true);
  });

  it('after an error is not synced, backs off, relists, and is synced again', async () => {
    let heal!: (list: ListResult<KubernetesObject>) => void;
    source.lists.push(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    source.lists.push(new Promise((resolve) => (heal = resolve)));
    source.current.end(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await until(() => source.listCalls === 3, 'a second relist');
    expect(informer.isSynced()).toBe(false);
    heal({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '30' });
    await until(() => source.watches.length === 2, 'a watch after two lists');
    expect(source.listCalls).toBe(3);
    expect(informer.isSynced()).toBe(true);
    expect(events).toEqual(['added a@1', 'added b@2']);
  });

  it('treats a non-410 ERROR event as a failure and relists', async () => {
    source.lists.push({ items: [], resourceVersion: '40' });
    source.current.emit('ERROR', { code: 500, message: 'etcd unavailable' } as never);
    await until(() => source.watches.length === 2, 'a watch after the relist');
    expect(events.slice(2)).toEqual(['deleted a@1 (final state unknown)', 'deleted b@2 (final state unknown)']);
  });

  it('keeps going when a listener throws', () => {
    informer.onEvent(() => {
      throw new Error('listener bug');
    });
    source.current.emit('ADDED', obj('c', '13'));
    expect(informer.get('c')).toBeDefined();
    expect(events).toContain('added c@13');
  });

  it('stops: aborts the watch and opens no new one', async () => {
    await informer.stop();
    expect(source.current.aborted).toBe(true);
    expect(informer.isSynced()).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(source.watches).toHaveLength(1);
  });
});

import type { MemoryUsage, ServiceMessage, ServiceRequest } from './service';

/** What a service file provides: how to start, its named calls, how to stop. */
export interface ServiceDefinition<Options> {
  start(options: Options): Promise<Record<string, unknown>>;
  calls?: Record<string, (payload: never) => unknown>;
  stop(): Promise<void>;
}

function send(message: ServiceMessage): void {
  process.send?.(message);
}

export function memoryUsage({ gc = false }: { gc?: boolean } = {}): MemoryUsage {
  if (gc && global.gc) {
    global.gc();
    global.gc();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external };
}

/** The child side of service.ts: runs the definition's start on `start`, its calls, and stop then exit. */
export function runService<Options>(definition: ServiceDefinition<Options>): void {
  if (!process.send) {
    process.stderr.write('this file is a benchmark service: it is started by bench/run (over IPC)\n');
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await definition.stop();
    } finally {
      send({ type: 'stopped' });
      process.exit(0);
    }
  };
  process.on('message', async (message: ServiceRequest) => {
    if (message.type === 'start') {
      try {
        send({ type: 'ready', info: await definition.start(message.options as Options) });
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exit(1);
      }
    } else if (message.type === 'call') {
      try {
        const handler = message.name === 'memory' ? (payload: { gc?: boolean }) => memoryUsage(payload) : definition.calls?.[message.name];
        if (!handler) throw new Error(`no call named ${message.name}`);
        send({ type: 'reply', id: message.id, result: await (handler as (payload: unknown) => unknown)(message.payload) });
      } catch (error) {
        send({ type: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) });
      }
    } else if (message.type === 'stop') {
      await stop();
    }
  });
  // The parent went away (Ctrl-C, crash): do not outlive it.
  process.on('disconnect', () => void stop());
}

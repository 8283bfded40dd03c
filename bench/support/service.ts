import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR } from './paths';

/**
 * A service under measurement runs in a child process of its own, so that its CPU and memory are
 * its own and the load generator does not share its event loop. The parent talks to it over IPC:
 * `start` with options (answered with `ready` and what the service tells about itself), named
 * requests, and `stop`.
 */

export interface MemoryUsage {
  /** Resident set size now, bytes. */
  rss: number;
  /** The highest RSS the process reached so far, bytes. */
  maxRss: number;
  heapUsed: number;
  /** The heap V8 holds (used or not), and memory outside it that V8 knows of (Buffers), bytes. */
  heapTotal?: number;
  external?: number;
}

export type ServiceRequest = { type: 'start'; options: unknown } | { type: 'call'; id: number; name: string; payload: unknown } | { type: 'stop' };
export type ServiceMessage =
  | { type: 'ready'; info: Record<string, unknown> }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'stopped' };

export interface Service<Info = Record<string, unknown>> {
  readonly name: string;
  readonly pid: number;
  readonly info: Info;
  /** Where its stdout (the service's log) goes. */
  readonly logFile: string;
  /** Calls a handler the service registered; every service answers `memory`. */
  call<T = unknown>(name: string, payload?: unknown): Promise<T>;
  memory(options?: { gc?: boolean }): Promise<MemoryUsage>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra node flags, e.g. --cpu-prof. --expose-gc is always on (for settled memory figures). */
  execArgv?: string[];
  timeoutMs?: number;
  /** More environment for the process (e.g. the NODE_OPTIONS of a deployment manifest). */
  env?: Record<string, string>;
}

const running = new Set<ChildProcess>();
// A benchmark that throws must not leave services behind; each is killed by its own PID.
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `bench/services/<file>.js` (compiled) and waits until it is ready. */
export async function startService<Info = Record<string, unknown>>(
  name: string,
  file: string,
  options: unknown,
  { execArgv = [], timeoutMs = 60_000, env = {} }: StartOptions = {},
): Promise<Service<Info>> {
  const script = join(__dirname, '..', 'services', `${file}.js`);
  // The service's stdout (its logs) goes to a file, as a container's goes to its runtime: there to read when a benchmark fails.
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.log`);
  const stdout = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--expose-gc', ...execArgv, script], {
    stdio: ['ignore', stdout, 'pipe', 'ipc'],
    env: { ...process.env, ...env, NODE_ENV: 'production' },
  });
  closeSync(stdout);
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });

  let nextId = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', (code, signal) => {
    for (const { reject } of pending.values()) reject(new Error(`${name} exited (${code ?? signal}): ${stderr.trim()}`));
    pending.clear();
  });

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
    child.on('message', (message: ServiceMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.info as Info);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} failed to start: ${message.error}`));
      } else if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`${name}: ${message.error}`));
        else waiter?.resolve(message.result);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${stderr.trim()}`));
    });
    child.send({ type: 'start', options } satisfies ServiceRequest);
  }).catch(async (error) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });

  const call = <T>(callName: string, payload?: unknown) =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || !child.connected) return reject(new Error(`${name} is not running`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ type: 'call', id, name: callName, payload } satisfies ServiceRequest);
    });

  return {
    name,
    pid: child.pid!,
    info,
    logFile,
    call,
    memory: (memoryOptions = {}) => call<MemoryUsage>('memory', memoryOptions),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ServiceRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

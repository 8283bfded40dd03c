import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './eventually';
import { freePort } from './redis-server';

const ROOT = join(__dirname, '..', '..');
export const BUILT_MAIN = join(ROOT, 'dist', 'apps', 'scheduler', 'src', 'main.js');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the service (`npm run build`) when dist is missing or older than a source file, so that
 * crash tests kill the real process a deployment runs. A lock directory keeps two test files (or
 * two helpers) from building at once.
 */
export function ensureBuilt(): void {
  const lock = join(ROOT, 'dist', '.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    const sources = Math.max(newestSourceMtime(join(ROOT, 'apps')), newestSourceMtime(join(ROOT, 'libs')));
    if (existsSync(BUILT_MAIN) && statSync(BUILT_MAIN).mtimeMs >= sources) return;
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} is held for more than 3 minutes; remove it if no build runs`);
      spawnSync('sleep', ['1']);
      continue;
    }
    try {
      const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
      if (result.status !== 0) throw new Error(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
      return;
    } finally {
      rmdirSync(lock);
    }
  }
}

export interface ServiceOptions {
  /** Environment of the service (REDIS_URL, ROLES, RADIX_CONFIG...); PORT is chosen here. */
  env: Record<string, string>;
  /** Where stdout and stderr go (appended), to grep them afterwards. */
  logFile: string;
  /** Working directory (relative commands of the local runtime resolve here). */
  cwd?: string;
  /** RLIMIT_NOFILE (soft and hard) of the process, set by util-linux prlimit, which then execs node (same PID). */
  maxOpenFiles?: number;
}

/**
 * The built service as a child process: `node dist/apps/scheduler/src/main.js`. kill() is a real
 * kill -9 by PID; stdout and stderr are appended to a file so that tests can read the logs.
 */
export class ServiceProcess {
  private readonly exited: Promise<number | null>;
  private expectExit = false;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        // A crash nobody asked for is the finding: show why, before the test's own timeout hides it.
        if (!this.expectExit) process.stderr.write(`[service-process] pid ${child.pid} exited unexpectedly (${code ?? signal}); last log lines:\n${this.logTail(60)}\n`);
        resolve(code);
      }),
    );
  }

  static async start(options: ServiceOptions): Promise<ServiceProcess> {
    const port = await freePort();
    const out = openSync(options.logFile, 'a');
    try {
      const [command, args] = options.maxOpenFiles
        ? ['prlimit', [`--nofile=${options.maxOpenFiles}:${options.maxOpenFiles}`, '--', process.execPath, BUILT_MAIN]]
        : [process.execPath, [BUILT_MAIN]];
      const child = spawn(command, args, {
        cwd: options.cwd ?? ROOT,
        // Only what the service needs: no secrets of the test runner leak into its logs.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_FORMAT: 'json', ...options.env, PORT: String(port) },
        stdio: ['ignore', out, out],
      });
      return new ServiceProcess(child, port, options.logFile);
    } finally {
      closeSync(out);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until /readyz answers 200 (Redis reachable, roles started). */
  async ready(timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        if (!this.running) throw new Error(`the service exited (${this.child.exitCode ?? this.child.signalCode}); log:\n${this.logTail()}`);
        // A failed request: not listening yet.
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
        return response?.status === 200;
      },
      () => `the service on port ${this.port} to be ready; log:\n${this.logTail()}`,
      timeoutMs,
    );
  }

  /** kill -9. */
  async kill(): Promise<void> {
    this.expectExit = true;
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.expectExit = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  logTail(lines = 30): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }
}

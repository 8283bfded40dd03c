import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from './eventually';

export interface TestRedisOptions {
  /** Turn on AOF (appendfsync everysec) so that kill -9 and restart keep the data. */
  appendOnly?: boolean;
}

/** A private redis-server for one test file: random port, own data dir, killed by its own PID. */
export class TestRedis {
  private process?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'rjs-redis-'));

  private constructor(
    readonly port: number,
    private readonly options: TestRedisOptions,
  ) {}

  static async start(options: TestRedisOptions = {}): Promise<TestRedis> {
    const server = new TestRedis(await freePort(), options);
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Whether the redis-server process runs (kill() ends it, restart() starts it again). */
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null;
  }

  /** A client for assertions; the caller quits it. */
  client(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: null });
  }

  async flush(): Promise<void> {
    const c = this.client();
    await c.flushall();
    await c.quit();
  }

  /** kill -9, as a crash would. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.startProcess();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startProcess(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no'];
    if (this.options.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'everysec');
    else args.push('--appendonly', 'no');
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.process = child;
    await waitForPing(this.port, child);
  }
}

export interface RedisTestBed {
  redis: TestRedis;
  /** Registers what to close after the tests, before Redis stops (the last registered first). */
  closeAfter(close: () => unknown): void;
}

/**
 * A private Redis for the tests of the calling describe block, as jest hooks: started before them
 * and handed to `use`, which starts what the tests need. After them Redis comes back if a test
 * left it down (so that clients close cleanly), what `use` registered closes, and Redis stops.
 */
export function withRedis(use: (bed: RedisTestBed) => Promise<void> | void, options: TestRedisOptions = {}): void {
  let redis: TestRedis | undefined;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start(options);
    await use({ redis, closeAfter: (close) => closers.push(close) });
  });

  afterAll(async () => {
    if (redis && !redis.running) await redis.restart().catch(() => undefined);
    for (const close of closers.reverse()) await close();
    await redis?.stop();
  });
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      return ping(port);
    },
    `redis-server to answer on port ${port}`,
    10_000,
  );
}

/** A raw PING: an ioredis client that fails to connect leaves timers behind that hold jest open. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import Redis from 'ioredis';
import { eventually } from './eventually';
import { redisServerTlsArgs, type TestTls } from './tls-certs';

export interface TestRedisOptions {
  /** Turn on AOF (appendfsync everysec) so that kill -9 and restart keep the data. */
  appendOnly?: boolean;
  /** A memory limit (`maxmemory`, e.g. `16mb`) with `noeviction`, as a deployment runs it: full, Redis refuses writes. */
  maxMemory?: string;
  /** TLS only, no plain port: reached at rediss:// (trust `tls.caFile`). */
  tls?: TestTls;
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
    return `${this.options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  /** The redis-server's process id while it runs (benchmarks count its CPU time). */
  get pid(): number | undefined {
    return this.running ? this.process!.pid : undefined;
  }

  /** Whether the redis-server process runs (kill() ends it, restart() starts it again). */
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null;
  }

  /** A client for assertions; the caller quits it. */
  client(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: null, ...(this.options.tls && { tls: { ca: this.options.tls.ca } }) });
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
    const port = this.options.tls ? redisServerTlsArgs(this.options.tls, this.port) : ['--port', String(this.port)];
    const args = [...port, '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no'];
    if (this.options.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'everysec');
    else args.push('--appendonly', 'no');
    if (this.options.maxMemory) args.push('--maxmemory', this.options.maxMemory, '--maxmemory-policy', 'noeviction');
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.process = child;
    await waitForPing(this.port, child, this.options.tls);
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

async function waitForPing(port: number, child: ChildProcess, tls?: TestTls): Promise<void> {
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      return ping(port, tls);
    },
    `redis-server to answer on port ${port}`,
    10_000,
  );
}

/** A raw PING: an ioredis client that fails to connect leaves timers behind that hold jest open. */
function ping(port: number, tls?: TestTls): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port, ca: tls.ca }) : connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
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

/**
 * Writes ballast (`ballast:<n>`) until Redis refuses even a small write for want of memory (started
 * with maxMemory); resolves with how many pieces it wrote. 4 KB pieces, then 64-byte ones to fill the
 * last gap: a command's arguments count against maxmemory while they are read in, so one big write
 * would be refused long before Redis is full, and after a 4 KB refusal a small write may still fit.
 */
export async function fillRedis(client: Redis): Promise<number> {
  let written = 0;
  for (const piece of ['x'.repeat(4096), 'x'.repeat(64)]) {
    for (;;) {
      try {
        await client.set(`ballast:${written}`, piece);
        written++;
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('OOM')) break;
        throw error;
      }
    }
  }
  return written;
}

/**
 * Strings longer than this (a 1 MB payload) are compared by length and SHA-1, computed by Redis:
 * reading one back grows the shared buffer of ioredis's parser, which then shrinks it on a 50 ms
 * timer for seconds, holding jest open after the last test.
 */
const LONG_STRING = 16 * 1024;

/** Every key of the Redis database with its content, to prove that a request wrote nothing. */
export async function redisSnapshot(client: Redis): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  for (const key of (await client.keys('*')).sort()) {
    const type = await client.type(key);
    if (type === 'string') snapshot[key] = await stringValue(client, key);
    else if (type === 'hash') snapshot[key] = await client.hgetall(key);
    else if (type === 'set') snapshot[key] = (await client.smembers(key)).sort();
    else if (type === 'zset') snapshot[key] = await client.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'list') snapshot[key] = await client.lrange(key, 0, -1);
    else if (type === 'stream') snapshot[key] = await client.xrange(key, '-', '+');
    else snapshot[key] = type;
  }
  return snapshot;
}

async function stringValue(client: Redis, key: string): Promise<string | { length: number; sha1: unknown } | null> {
  const length = await client.strlen(key);
  if (length <= LONG_STRING) return client.get(key);
  return { length, sha1: await client.eval("return redis.sha1hex(redis.call('GET', KEYS[1]))", 1, key) };
}

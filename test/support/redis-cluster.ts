import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import { createCluster, type RedisTarget } from '@rjs/store';
import { eventually } from './eventually';
import { freePort } from './redis-server';
import { redisServerTlsArgs, type TestTls } from './tls-certs';

const run = promisify(execFile);

/** How many masters the test cluster has: the fewest `redis-cli --cluster create` accepts. */
const MASTERS = 3;

/** How clients get in, as a managed cluster (Azure Cache for Redis, ElastiCache, Memorystore) asks it. */
export interface TestRedisClusterOptions {
  /** The password: of the default user (requirepass, and masterauth), or of `username`. */
  password?: string;
  /** An ACL user with every key, channel and command; the default user is switched off. Needs `password`. */
  username?: string;
  /** TLS only, the cluster bus included; no plain port. */
  tls?: TestTls;
}

/**
 * A private Redis Cluster for one test file: three `redis-server --cluster-enabled yes` masters on
 * free ports (and free cluster-bus ports), joined by `redis-cli --cluster create`, each killed by
 * its own PID afterwards.
 */
export class TestRedisCluster {
  readonly topology = 'cluster' as const;
  private readonly processes: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'rjs-redis-cluster-'));

  private constructor(
    readonly ports: number[],
    readonly options: TestRedisClusterOptions,
  ) {}

  static async start(options: TestRedisClusterOptions = {}): Promise<TestRedisCluster> {
    const ports: number[] = [];
    // Distinct ports: freePort may hand the same one twice when asked again before it is taken.
    while (ports.length < MASTERS * 2) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const cluster = new TestRedisCluster(ports.slice(0, MASTERS), options);
    try {
      await cluster.startNodes(ports.slice(MASTERS));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  /** What points the scheduler at this cluster, credentials and TLS included. */
  get env(): Record<string, string> {
    const { username, password, tls } = this.options;
    return {
      REDIS_CLUSTER_NODES: this.ports.map((port) => `127.0.0.1:${port}`).join(','),
      ...(username && { REDIS_CLUSTER_USERNAME: username }),
      ...(password && { REDIS_CLUSTER_PASSWORD: password }),
      ...(tls && { REDIS_CLUSTER_TLS: 'true', REDIS_TLS_CA_FILE: tls.caFile }),
    };
  }

  /** As loadConfig makes it of `env`. */
  get target(): RedisTarget {
    const { username, password, tls } = this.options;
    return { redisUrl: 'redis://unused', redisClusterNodes: this.nodes, redisClusterUsername: username, redisClusterPassword: password, redisClusterTls: !!tls, redisTlsCa: tls?.ca };
  }

  /** A client for assertions, made as the scheduler makes its own; the caller quits it. */
  client(): Cluster {
    return createCluster(this.target, { redisOptions: { maxRetriesPerRequest: null } });
  }

  /** Empties every master (FLUSHALL on a cluster client reaches one node only). */
  async flush(): Promise<void> {
    await Promise.all(this.ports.map((port) => this.cli(port, 'FLUSHALL')));
  }

  /** redis-cli on one node, signed in (the password through REDISCLI_AUTH, which keeps it off the command line). */
  async cli(port: number, ...command: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', [...this.cliOptions(), '-p', String(port), ...command], { env: this.cliEnv() });
    return stdout.trim();
  }

  private cliOptions(): string[] {
    const { username, tls } = this.options;
    return [...(tls ? ['--tls', '--cacert', tls.caFile] : []), ...(username ? ['--user', username] : [])];
  }

  private cliEnv(): NodeJS.ProcessEnv {
    return { ...process.env, ...(this.options.password && { REDISCLI_AUTH: this.options.password }) };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startNodes(busPorts: number[]): Promise<void> {
    this.ports.forEach((port, i) => {
      const args = [
        ...(this.options.tls ? redisServerTlsArgs(this.options.tls, port) : ['--port', String(port)]),
        '--cluster-port', String(busPorts[i]),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '5000',
        '--dir', this.dir,
        '--dbfilename', `dump-${port}.rdb`,
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'no',
        ...this.authArgs(),
      ];
      this.processes.push(spawn('redis-server', args, { stdio: 'ignore' }));
    });
    for (const [i, port] of this.ports.entries()) {
      await eventually(async () => {
        const child = this.processes[i];
        if (child.exitCode !== null) throw new Error(`redis-server (cluster node on ${port}) exited with code ${child.exitCode}`);
        return (await this.cli(port, 'PING').catch(() => '')) === 'PONG';
      }, `cluster node on port ${port} to answer`, 10_000);
    }
    await run('redis-cli', [...this.cliOptions(), '--cluster', 'create', ...this.ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      env: this.cliEnv(),
    });
    // Every node must know every slot's owner before a client can rely on any of them.
    for (const port of this.ports) {
      await eventually(async () => /^cluster_state:ok/m.test(await this.cli(port, 'CLUSTER', 'INFO')), `cluster_state:ok on port ${port}`, 20_000);
    }
  }

  /** requirepass (and masterauth, which replicas would use) for the default user, or the default user off and an ACL user. */
  private authArgs(): string[] {
    const { username, password } = this.options;
    if (password === undefined) return [];
    if (username === undefined) return ['--requirepass', password, '--masterauth', password];
    return ['--user', 'default', 'off', '--user', username, 'on', `>${password}`, '~*', '&*', '+@all', '--masteruser', username, '--masterauth', password];
  }
}

export interface RedisClusterTestBed {
  cluster: TestRedisCluster;
  /** Registers what to close after the tests, before the cluster stops (the last registered first). */
  closeAfter(close: () => unknown): void;
}

/** A private Redis Cluster for the tests of the calling describe block, as withRedis gives one Redis. */
export function withRedisCluster(use: (bed: RedisClusterTestBed) => Promise<void> | void, options: TestRedisClusterOptions = {}): void {
  let cluster: TestRedisCluster | undefined;
  const closers: (() => unknown)[] = [];
  beforeAll(async () => {
    cluster = await TestRedisCluster.start(options);
    await use({ cluster, closeAfter: (close) => closers.push(close) });
  }, 60_000);
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await cluster?.stop();
  });
}

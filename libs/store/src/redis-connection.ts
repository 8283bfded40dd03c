import Redis, { Cluster, type ClusterOptions, type RedisOptions, type StandaloneConnectionOptions } from 'ioredis';
// ioredis' index exports no StandaloneConnector, the connector its options (`Connector`) replace.
import { StandaloneConnector } from 'ioredis/built/connectors';

/** One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES): both speak the commands the store, BullMQ and the probes use. */
export type RedisClient = Redis | Cluster;

/** Where Redis is and how to get in, as AppConfig holds it (libs/config). */
export interface RedisTarget {
  redisUrl: string;
  redisClusterNodes?: { host: string; port: number }[];
  redisClusterUsername?: string;
  redisClusterPassword?: string;
  redisClusterTls?: boolean;
  /** PEM of the CA(s) to trust instead of the system's (REDIS_TLS_CA_FILE), for rediss:// and a TLS cluster. */
  redisTlsCa?: string;
}

const reconnectDelay = (attempt: number) => Math.min(attempt * 200, 2000);

/**
 * ioredis hears a socket's 'error' once (Redis.connect: stream.once), but a TLS socket can fail
 * twice: the client refuses the certificate, then the server's alert arrives ("tlsv1 alert decode
 * error"). The second error, unheard, ended the process (ioredis issue #1183; the fix, PR #961, was
 * not merged). This connector also hears the later errors of a socket; the first still reaches
 * ioredis, which closes the connection and tries again, so a refused certificate is an unready
 * scheduler (503), not a crash.
 */
class TlsConnector extends StandaloneConnector {
  // ioredis hands a Connector the connection's options untyped (ConnectorConstructor).
  constructor(options: unknown) {
    super(options as StandaloneConnectionOptions);
  }

  override async connect(...args: Parameters<StandaloneConnector['connect']>) {
    const stream = await super.connect(...args);
    stream.on('error', () => undefined);
    return stream;
  }
}

/** The TLS options of a connection: the configured CA, else Node's trusted ones. */
const tlsOptions = (target: RedisTarget): Pick<RedisOptions, 'tls' | 'Connector'> => ({
  tls: target.redisTlsCa ? { ca: target.redisTlsCa } : {},
  Connector: TlsConnector,
});

/**
 * What a connection to one Redis (REDIS_URL) needs besides the URL, which carries the credentials
 * and says TLS (rediss://) itself: for TLS, the CA to trust and TlsConnector. For clients that are
 * handed the URL apart (BullMQ's `url`).
 */
export function redisUrlOptions(target: RedisTarget): Pick<RedisOptions, 'tls' | 'Connector'> {
  return target.redisUrl.startsWith('rediss://') ? tlsOptions(target) : {};
}

/**
 * A Cluster client of the configured cluster, with its credentials and TLS on every node, and the
 * caller's options. Every Cluster of the product and of the tests that mirror it is made here.
 */
export function createCluster(target: RedisTarget, options: ClusterOptions = {}): Cluster {
  if (!target.redisClusterNodes) throw new Error('createCluster needs REDIS_CLUSTER_NODES');
  const { redisClusterUsername: username, redisClusterPassword: password } = target;
  return new Cluster(target.redisClusterNodes, {
    ...options,
    // ioredis' advice for TLS clusters: connect to the name as given rather than to the address it
    // resolves to, so that TLS checks the certificate against the name it was issued for.
    ...(target.redisClusterTls && { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) }),
    redisOptions: {
      ...(password !== undefined && { username, password }),
      ...(target.redisClusterTls && tlsOptions(target)),
      ...options.redisOptions,
    },
  });
}

/**
 * Fails fast while Redis is down, so that a request gets a 503 instead of hanging; reconnects
 * forever in the background. A plain URL string is one Redis.
 */
export function createRedis(target: RedisTarget | string): RedisClient {
  const config: RedisTarget = typeof target === 'string' ? { redisUrl: target } : target;
  if (config.redisClusterNodes) {
    return createCluster(config, { enableOfflineQueue: false, clusterRetryStrategy: reconnectDelay, redisOptions: { maxRetriesPerRequest: 1 } });
  }
  return new Redis(config.redisUrl, { ...redisUrlOptions(config), enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: reconnectDelay });
}

/**
 * Whether a command that failed may have run all the same: the connection broke after the command
 * had been written (Redis crashed, or the network failed, before the answer came). A command
 * refused before it left (no offline queue while disconnected) or answered with an error did not.
 */
export function mayHaveLanded(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const { code } = error as { code?: unknown };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT') return true;
  return error.message.includes('Connection is closed') || error.message.includes('Command timed out');
}

/**
 * The BullMQ workers' connection to a Redis Cluster, which waits through an outage
 * (maxRetriesPerRequest: null, as BullMQ requires of a worker's connection). For one Redis the
 * workers pass options and BullMQ makes (and closes) the connection itself; BullMQ builds no
 * Cluster from options, so a cluster needs an instance, which its owner closes.
 */
export function createWorkerCluster(target: RedisTarget): Cluster {
  return createCluster(target, { clusterRetryStrategy: (attempt) => Math.min(attempt * 500, 5000), redisOptions: { maxRetriesPerRequest: null } });
}

/** The nodes that hold data: the masters of a cluster, or the one Redis. */
export function dataNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Quits a client; one that cannot quit (Redis down) is disconnected. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

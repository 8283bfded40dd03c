import { cpus } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobComponent } from '@rjs/core';
import { parseJobComponent, webhookProblem } from './radix-config';

export type Role = 'api' | 'worker' | 'watcher';
export const ALL_ROLES: readonly Role[] = ['api', 'worker', 'watcher'];
export type RuntimeKind = 'local' | 'kubernetes';
export interface RedisNode {
  host: string;
  port: number;
}

export interface AppConfig {
  component: JobComponent;
  radixConfigPath: string;
  environment?: string;
  port: number;
  redisUrl: string;
  /** True when REDIS_URL was not given (npm start may then start a private redis-server). */
  redisUrlDefaulted: boolean;
  /** REDIS_CLUSTER_NODES: when set, Redis is a Redis Cluster reached through these seed nodes, and redisUrl is unused. */
  redisClusterNodes?: RedisNode[];
  /** REDIS_CLUSTER_USERNAME (an ACL user; unset: the default user) and REDIS_CLUSTER_PASSWORD: AUTH on every node of the cluster. */
  redisClusterUsername?: string;
  redisClusterPassword?: string;
  /** REDIS_CLUSTER_TLS: TLS to every node of the cluster. */
  redisClusterTls?: boolean;
  /** REDIS_TLS_CA_FILE, read at start: the PEM of the CA(s) trusted instead of the system's, for rediss:// and a TLS cluster. */
  redisTlsCa?: string;
  roles: Role[];
  runtime: RuntimeKind;
  maxBodyBytes: number;
  /** A launch that keeps failing for a reason that may pass is retried this long after its first failure, then the job fails. */
  launchRetryTimeoutSeconds: number;
  /** Finished jobs and batches are removed this long after they ended; 0 keeps them for good. */
  retentionSeconds: number;
  local: { maxRunning: number; workDir: string; stopGraceSeconds: number };
  /** MAX_ACTIVE_JOBS: jobs of the component launched and not yet final, over every worker; undefined: unlimited. */
  maxActiveJobs?: number;
  kubernetes: {
    namespace?: string;
    nodeTypesFile?: string;
    ttlSecondsAfterFinished: number;
    qps: number;
    burst: number;
    /** Relaxations of the job pods' hardened securityContext; empty keeps every default. */
    jobPodSecurity: JobPodSecurityConfig;
  };
  /** The operator's credentials of Bull Board (/admin/queues) and the job console (/console); without them both are read-only. */
  bullBoard: { user?: string; password?: string };
  notifications: NotificationsConfig;
  /** Defences against hostile clients: cross-origin requests, slow and idle connections, floods. */
  http: HttpHardeningConfig;
  log: { level: string; format: 'json' | 'pretty' };
}

export interface NotificationsConfig {
  /** NOTIFICATIONS_WEBHOOK, else the job component's notifications.webhook; unset: nothing is sent or kept for a webhook. */
  webhook?: string;
  /** NOTIFICATIONS_SECRET (`whsec_<base64>`): deliveries are signed as the Standard Webhooks specification says. */
  secret?: string;
  /** EVENTS_STREAM_MAXLEN: the events stream (SSE, Last-Event-ID) keeps about this many events. */
  streamMaxLen: number;
}

/** A Standard Webhooks secret: `whsec_` and the base64 of at least 24 bytes (the specification asks 24 to 64). */
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;

/** NOTIFICATIONS_* and EVENTS_STREAM_MAXLEN, checked at start. */
function parseNotifications(reader: EnvReader, component: JobComponent | undefined): NotificationsConfig {
  const fromEnv = reader.string('NOTIFICATIONS_WEBHOOK');
  if (fromEnv !== undefined) {
    const problem = webhookProblem(fromEnv);
    if (problem) reader.problems.push(`NOTIFICATIONS_WEBHOOK ${problem}`);
  }
  const secret = reader.string('NOTIFICATIONS_SECRET');
  if (secret !== undefined && !WEBHOOK_SECRET.test(secret)) {
    reader.problems.push('NOTIFICATIONS_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes (e.g. "whsec_$(openssl rand -base64 32)")');
  }
  return {
    webhook: fromEnv ?? component?.notifications?.webhook,
    secret,
    streamMaxLen: reader.int('EVENTS_STREAM_MAXLEN', 100_000, 100, 100_000_000),
  };
}

/** RETENTION_SECONDS when unset: 7 days. */
export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
/** 100 years: any longer is "keep everything" (0), and milliseconds stay exact integers. */
const MAX_RETENTION_SECONDS = 100 * 365 * 24 * 3600;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }
}

function parseRoles(reader: EnvReader): Role[] {
  const raw = reader.string('ROLES');
  if (raw === undefined) return [...ALL_ROLES];
  const roles = raw.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !ALL_ROLES.includes(r as Role));
  if (unknown.length || roles.length === 0) {
    reader.problems.push(`ROLES must be a comma list of ${ALL_ROLES.join(', ')}, got "${raw}"`);
    return [...ALL_ROLES];
  }
  return [...new Set(roles as Role[])];
}

function parseRedisUrl(reader: EnvReader): string {
  const url = reader.string('REDIS_URL') ?? 'redis://127.0.0.1:6379';
  try {
    const parsed = new URL(url);
    if (!['redis:', 'rediss:', 'unix:'].includes(parsed.protocol)) throw new Error('protocol');
  } catch {
    reader.problems.push(`REDIS_URL must be a redis://, rediss:// or unix:// URL, got "${withoutPassword(url)}"`);
  }
  return url;
}

/**
 * A Redis URL fit for a message: the user info's password replaced, also when the URL does not parse
 * (a password holding "/" or "@" unencoded). Up to the last "@" counts as user info; without a ":"
 * in it, all of it is hidden (it may be a password alone).
 */
export function withoutPassword(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const slashes = url.indexOf('//');
  const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
  const colon = url.indexOf(':', start);
  const user = colon >= 0 && colon < at ? url.slice(start, colon + 1) : '';
  return `${url.slice(0, start)}${user}[redacted]${url.slice(at)}`;
}

/**
 * REDIS_CLUSTER_NODES: comma-separated `host:port` seed nodes of a Redis Cluster (a few are enough;
 * the client learns the others from CLUSTER SLOTS). Exclusive with REDIS_URL, so that a deployment
 * never half-points at two Redis.
 */
function parseRedisClusterNodes(reader: EnvReader): RedisNode[] | undefined {
  const raw = reader.string('REDIS_CLUSTER_NODES');
  if (raw === undefined) return undefined;
  const problem = `REDIS_CLUSTER_NODES must be a comma list of host:port (e.g. redis-0:6379,redis-1:6379), got "${raw}"`;
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const nodes: RedisNode[] = [];
  for (const entry of entries) {
    // host:port, with [ipv6]:port for IPv6 addresses.
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      reader.problems.push(problem);
      return undefined;
    }
    nodes.push({ host: match[1].replace(/^\[(.*)\]$/, '$1'), port });
  }
  if (nodes.length === 0) reader.problems.push(problem);
  if (reader.string('REDIS_URL') !== undefined) reader.problems.push('set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  return nodes.length ? nodes : undefined;
}

/** What reaching Redis needs besides its address: the cluster's credentials and TLS, the CA to trust. */
type RedisAccess = Pick<AppConfig, 'redisClusterUsername' | 'redisClusterPassword' | 'redisClusterTls' | 'redisTlsCa'>;

/**
 * REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD, REDIS_CLUSTER_TLS and REDIS_TLS_CA_FILE. One Redis
 * takes its credentials and TLS in REDIS_URL (redis://user:pass@host, rediss://), so the cluster
 * variables without REDIS_CLUSTER_NODES are a mistake, as is a CA file that no TLS connection uses.
 * No message shows the password.
 */
function parseRedisAccess(reader: EnvReader, clustered: boolean, redisUrl: string): RedisAccess {
  const username = reader.string('REDIS_CLUSTER_USERNAME');
  const password = reader.string('REDIS_CLUSTER_PASSWORD');
  const rawTls = reader.string('REDIS_CLUSTER_TLS');
  const access: RedisAccess = { redisClusterUsername: username, redisClusterPassword: password, redisTlsCa: undefined };
  const clusterOnly = [
    ['REDIS_CLUSTER_USERNAME', username, 'redis://USER:PASSWORD@host:6379'],
    ['REDIS_CLUSTER_PASSWORD', password, 'redis://:PASSWORD@host:6379'],
    ['REDIS_CLUSTER_TLS', rawTls, 'rediss://host:6380'],
  ] as const;
  for (const [name, value, example] of clusterOnly) {
    if (value !== undefined && !clustered) reader.problems.push(`${name} is used only with REDIS_CLUSTER_NODES; one Redis takes it in REDIS_URL (${example})`);
  }
  if (rawTls !== undefined && rawTls !== 'true' && rawTls !== 'false') reader.problems.push(`REDIS_CLUSTER_TLS must be true or false, got "${rawTls}"`);
  access.redisClusterTls = clustered && rawTls === 'true';
  // Redis refuses such a name (ACL SETUSER); a line break in a password is most likely a Secret made from a file ending in a newline.
  if (username !== undefined && /[\s\0]/.test(username)) reader.problems.push(`REDIS_CLUSTER_USERNAME must not contain spaces or control characters, got "${username}"`);
  if (password !== undefined && /[\r\n]/.test(password)) reader.problems.push('REDIS_CLUSTER_PASSWORD contains a line break (a Secret made from a file that ends with a newline?)');
  if (username !== undefined && password === undefined) reader.problems.push('REDIS_CLUSTER_USERNAME needs REDIS_CLUSTER_PASSWORD (the ACL user\'s password)');

  const caFile = reader.string('REDIS_TLS_CA_FILE');
  if (caFile !== undefined) {
    const tls = clustered ? access.redisClusterTls : redisUrl.startsWith('rediss://');
    if (!tls) reader.problems.push('REDIS_TLS_CA_FILE is used only with TLS: a rediss:// REDIS_URL, or REDIS_CLUSTER_NODES with REDIS_CLUSTER_TLS=true');
    access.redisTlsCa = readCaFile(reader, caFile);
  }
  return access;
}

/** The PEM text of REDIS_TLS_CA_FILE, each certificate in it parsed, so that a wrong file stops the start rather than every connection. */
function readCaFile(reader: EnvReader, path: string): string | undefined {
  const pem = readConfigFile(reader, 'REDIS_TLS_CA_FILE', path);
  if (pem === undefined) return undefined;
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) {
    reader.problems.push(`REDIS_TLS_CA_FILE: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  for (const [i, certificate] of certificates.entries()) {
    try {
      new X509Certificate(certificate);
    } catch (error) {
      reader.problems.push(`REDIS_TLS_CA_FILE: certificate ${i + 1} of ${path} does not parse: ${(error as Error).message}`);
      return undefined;
    }
  }
  return pem;
}

/** A file a variable names; a problem naming the variable when it cannot be read. */
function readConfigFile(reader: EnvReader, variable: string, path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    reader.problems.push(`${variable}: cannot read ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

function loadComponent(reader: EnvReader, path: string): JobComponent | undefined {
  const text = readConfigFile(reader, 'RADIX_CONFIG', path);
  if (text === undefined) return undefined;
  const { component, problems } = parseJobComponent(text, reader.string('JOB_COMPONENT'), reader.string('RADIX_ENVIRONMENT'));
  reader.problems.push(...problems.map((p) => `${path}: ${p}`));
  return component;
}

/**
 * The job pods' securityContext relaxations. Set per scheduler, that is per job component (one
 * scheduler serves one), by its operator: never by radixconfig.yaml or a request, which the
 * component's own authors write.
 */
export interface JobPodSecurityConfig {
  allowPrivilegeEscalation?: boolean;
  capabilitiesAdd?: string[];
  seccompProfile?: { type: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostProfile?: string };
}

function parseJobPodSecurity(reader: EnvReader): JobPodSecurityConfig {
  const security: JobPodSecurityConfig = {};
  const escalation = reader.string('JOB_ALLOW_PRIVILEGE_ESCALATION');
  if (escalation !== undefined) {
    if (escalation === 'true' || escalation === 'false') security.allowPrivilegeEscalation = escalation === 'true';
    else reader.problems.push(`JOB_ALLOW_PRIVILEGE_ESCALATION must be true or false, got "${escalation}"`);
  }
  const add = reader.string('JOB_CAPABILITIES_ADD');
  if (add !== undefined) {
    const names = add.split(',').map((c) => c.trim()).filter(Boolean);
    // Kubernetes takes the names without CAP_ (NET_BIND_SERVICE); ALL would undo the drop.
    const bad = names.filter((c) => !/^[A-Z][A-Z0-9_]*$/.test(c) || c === 'ALL' || c.startsWith('CAP_'));
    if (bad.length || !names.length) {
      reader.problems.push(`JOB_CAPABILITIES_ADD must be a comma list of capability names without CAP_ (NET_BIND_SERVICE,CHOWN), not ALL; got "${add}"`);
    } else security.capabilitiesAdd = [...new Set(names)];
  }
  const seccomp = reader.string('JOB_SECCOMP_PROFILE');
  if (seccomp !== undefined) {
    const localhost = /^Localhost:(\S+)$/.exec(seccomp);
    if (seccomp === 'RuntimeDefault' || seccomp === 'Unconfined') security.seccompProfile = { type: seccomp };
    else if (localhost) security.seccompProfile = { type: 'Localhost', localhostProfile: localhost[1] };
    else reader.problems.push(`JOB_SECCOMP_PROFILE must be RuntimeDefault, Unconfined or Localhost:<profile path>, got "${seccomp}"`);
  }
  return security;
}

export interface HttpHardeningConfig {
  /** Origins (scheme://host[:port]) whose requests are served; any other Origin header gets 403. */
  allowedOrigins: string[];
  /** The request line and headers must arrive within this (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (requestTimeout). */
  requestTimeoutMs: number;
  /** A connection on which nothing moves either way this long is closed (connectionTimeout). */
  idleTimeoutMs: number;
  /** Connections held at once; more are closed on arrival, so the file descriptors a worker needs stay free. */
  maxConnections: number;
}

function parseAllowedOrigins(reader: EnvReader): string[] {
  const raw = reader.string('ALLOWED_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw.split(',').map((o) => o.trim()).filter(Boolean);
  // An origin is exactly what a browser sends: scheme, host and a port only when not the default.
  const bad = origins.filter((o) => {
    try {
      const url = new URL(o);
      return !['http:', 'https:'].includes(url.protocol) || url.origin !== o;
    } catch {
      return true;
    }
  });
  if (bad.length) reader.problems.push(`ALLOWED_ORIGINS must be a comma list of origins like https://app.example.com:8443 (no path, no trailing slash), got ${bad.map((o) => `"${o}"`).join(', ')}`);
  return [...new Set(origins)];
}

function parseHttpHardening(reader: EnvReader): HttpHardeningConfig {
  const http: HttpHardeningConfig = {
    allowedOrigins: parseAllowedOrigins(reader),
    headersTimeoutMs: reader.int('HTTP_HEADERS_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    requestTimeoutMs: reader.int('HTTP_REQUEST_TIMEOUT_SECONDS', 120, 1, 3600) * 1000,
    idleTimeoutMs: reader.int('HTTP_IDLE_TIMEOUT_SECONDS', 300, 1, 86_400) * 1000,
    maxConnections: reader.int('HTTP_MAX_CONNECTIONS', 1000, 1, 1_000_000),
  };
  // Node requires it: the headers are part of the request.
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    reader.problems.push(`HTTP_HEADERS_TIMEOUT_SECONDS (${http.headersTimeoutMs / 1000}) must not be above HTTP_REQUEST_TIMEOUT_SECONDS (${http.requestTimeoutMs / 1000})`);
  }
  return http;
}

/** MAX_ACTIVE_JOBS: unset (or empty) is unlimited, as before the cap existed. */
function parseMaxActiveJobs(reader: EnvReader): number | undefined {
  if (reader.string('MAX_ACTIVE_JOBS') === undefined) return undefined;
  return reader.int('MAX_ACTIVE_JOBS', 0, 1, 1_000_000);
}

/** Reads and validates the whole configuration once; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const reader = new EnvReader(env);
  const radixConfigPath = resolve(cwd, reader.string('RADIX_CONFIG') ?? 'radixconfig.yaml');
  const component = loadComponent(reader, radixConfigPath);
  const config: AppConfig = {
    component: component ?? { name: 'invalid', schedulerPort: 8000 },
    radixConfigPath,
    environment: reader.string('RADIX_ENVIRONMENT'),
    port: reader.int('PORT', component?.schedulerPort ?? 8000, 0, 65535),
    redisUrl: parseRedisUrl(reader),
    redisUrlDefaulted: reader.string('REDIS_URL') === undefined,
    redisClusterNodes: parseRedisClusterNodes(reader),
    roles: parseRoles(reader),
    runtime: reader.oneOf('JOB_RUNTIME', ['local', 'kubernetes'] as const, 'local'),
    // Big enough for a batch of many payloads; each payload is still capped at 1 MB.
    maxBodyBytes: reader.int('MAX_BODY_BYTES', 64 * 1024 * 1024, 1024),
    launchRetryTimeoutSeconds: reader.int('LAUNCH_RETRY_TIMEOUT_SECONDS', 3600, 0, 7 * 24 * 3600),
    retentionSeconds: reader.int('RETENTION_SECONDS', DEFAULT_RETENTION_SECONDS, 0, MAX_RETENTION_SECONDS),
    local: {
      maxRunning: reader.int('LOCAL_MAX_RUNNING', Math.max(1, cpus().length), 1, 10_000),
      workDir: resolve(cwd, reader.string('LOCAL_WORK_DIR') ?? join(tmpdir(), 'radix-job-scheduler')),
      stopGraceSeconds: reader.int('LOCAL_STOP_GRACE_SECONDS', 10, 0, 3600),
    },
    kubernetes: {
      namespace: reader.string('KUBERNETES_NAMESPACE'),
      nodeTypesFile: reader.string('KUBE_NODE_TYPES_FILE'),
      ttlSecondsAfterFinished: reader.int('JOB_TTL_SECONDS_AFTER_FINISHED', 86400, 0),
      qps: reader.int('KUBE_API_QPS', 20, 1, 10_000),
      burst: reader.int('KUBE_API_BURST', 30, 1, 100_000),
      jobPodSecurity: parseJobPodSecurity(reader),
    },
    bullBoard: { user: reader.string('BULL_BOARD_USER'), password: reader.string('BULL_BOARD_PASSWORD') },
    notifications: parseNotifications(reader, component),
    http: parseHttpHardening(reader),
    log: {
      level: reader.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info'),
      format: reader.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    },
  };
  config.maxActiveJobs = parseMaxActiveJobs(reader);
  Object.assign(config, parseRedisAccess(reader, config.redisClusterNodes !== undefined || reader.string('REDIS_CLUSTER_NODES') !== undefined, config.redisUrl));
  if (!!config.bullBoard.user !== !!config.bullBoard.password) {
    reader.problems.push('BULL_BOARD_USER and BULL_BOARD_PASSWORD must be set together');
  }
  if (reader.problems.length) throw new ConfigError(reader.problems);
  return config;
}

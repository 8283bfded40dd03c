import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobComponent } from '@rjs/core';
import { parseJobComponent } from './radix-config';

export type Role = 'api' | 'worker' | 'watcher';
export const ALL_ROLES: readonly Role[] = ['api', 'worker', 'watcher'];
export type RuntimeKind = 'local' | 'kubernetes';

export interface AppConfig {
  component: JobComponent;
  radixConfigPath: string;
  environment?: string;
  port: number;
  redisUrl: string;
  /** True when REDIS_URL was not given (npm start may then start a private redis-server). */
  redisUrlDefaulted: boolean;
  roles: Role[];
  runtime: RuntimeKind;
  maxBodyBytes: number;
  /** A launch that keeps failing for a reason that may pass is retried this long after its first failure, then the job fails. */
  launchRetryTimeoutSeconds: number;
  /** Finished jobs and batches are removed this long after they ended; 0 keeps them for good. */
  retentionSeconds: number;
  local: { maxRunning: number; workDir: string; stopGraceSeconds: number };
  kubernetes: {
    namespace?: string;
    nodeTypesFile?: string;
    ttlSecondsAfterFinished: number;
    qps: number;
    burst: number;
  };
  bullBoard: { user?: string; password?: string };
  log: { level: string; format: 'json' | 'pretty' };
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
    reader.problems.push(`REDIS_URL must be a redis://, rediss:// or unix:// URL, got "${url}"`);
  }
  return url;
}

function loadComponent(reader: EnvReader, path: string): JobComponent | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    reader.problems.push(`RADIX_CONFIG: cannot read ${path}: ${(error as Error).message}`);
    return undefined;
  }
  const { component, problems } = parseJobComponent(text, reader.string('JOB_COMPONENT'), reader.string('RADIX_ENVIRONMENT'));
  reader.problems.push(...problems.map((p) => `${path}: ${p}`));
  return component;
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
    },
    bullBoard: { user: reader.string('BULL_BOARD_USER'), password: reader.string('BULL_BOARD_PASSWORD') },
    log: {
      level: reader.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info'),
      format: reader.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    },
  };
  if (!!config.bullBoard.user !== !!config.bullBoard.password) {
    reader.problems.push('BULL_BOARD_USER and BULL_BOARD_PASSWORD must be set together');
  }
  if (reader.problems.length) throw new ConfigError(reader.problems);
  return config;
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestTls, type TestTls } from '../../../test/support/tls-certs';
import { ConfigError, DEFAULT_RETENTION_SECONDS, loadConfig, withoutPassword } from './config';

const RADIX_CONFIG = join(__dirname, '../../../radixconfig.yaml');
const load = (env: Record<string, string>) => loadConfig({ RADIX_CONFIG, ...env });

describe('LAUNCH_RETRY_TIMEOUT_SECONDS', () => {
  it('gives up on a launch after an hour by default', () => {
    expect(load({}).launchRetryTimeoutSeconds).toBe(3600);
  });

  it.each([
    ['0', 0],
    ['90', 90],
    ['604800', 604800],
  ])('takes %s', (value, seconds) => {
    expect(load({ LAUNCH_RETRY_TIMEOUT_SECONDS: value }).launchRetryTimeoutSeconds).toBe(seconds);
  });

  it.each(['-1', '1.5', '1h', '604801'])('stops the start on %s, saying what it accepts', (value) => {
    expect(() => load({ LAUNCH_RETRY_TIMEOUT_SECONDS: value })).toThrow(ConfigError);
    expect(() => load({ LAUNCH_RETRY_TIMEOUT_SECONDS: value })).toThrow(`LAUNCH_RETRY_TIMEOUT_SECONDS must be a whole number from 0 to 604800, got "${value}"`);
  });
});

describe('RETENTION_SECONDS', () => {
  it('defaults to 7 days', () => {
    expect(load({}).retentionSeconds).toBe(DEFAULT_RETENTION_SECONDS);
    expect(DEFAULT_RETENTION_SECONDS).toBe(604_800);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['86400', 86_400],
  ])('takes %s', (value, seconds) => {
    expect(load({ RETENTION_SECONDS: value }).retentionSeconds).toBe(seconds);
  });

  it.each(['-1', '1.5', '7d', '99999999999'])('stops the start on %s, listing it with the other problems', (value) => {
    let error: unknown;
    try {
      load({ RETENTION_SECONDS: value, PORT: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringContaining('PORT must be a whole number'),
      `RETENTION_SECONDS must be a whole number from 0 to 3153600000, got "${value}"`,
    ]);
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: one Redis at REDIS_URL', () => {
    expect(load({}).redisClusterNodes).toBeUndefined();
  });

  it.each([
    ['redis-0:6379', [{ host: 'redis-0', port: 6379 }]],
    ['10.0.0.1:7000, 10.0.0.2:7001 ,10.0.0.3:7002', [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '10.0.0.3', port: 7002 }]],
    ['[::1]:7000', [{ host: '::1', port: 7000 }]],
  ])('takes %s', (value, nodes) => {
    expect(load({ REDIS_CLUSTER_NODES: value }).redisClusterNodes).toEqual(nodes);
  });

  it.each(['redis-0', 'redis-0:', ':6379', 'redis-0:0', 'redis-0:65536', 'redis://redis-0:6379', ',', 'a:1,b'])('stops the start on "%s", saying what it accepts', (value) => {
    expect(() => load({ REDIS_CLUSTER_NODES: value })).toThrow(`REDIS_CLUSTER_NODES must be a comma list of host:port (e.g. redis-0:6379,redis-1:6379), got "${value}"`);
  });

  it('stops the start when REDIS_URL is set as well', () => {
    expect(() => load({ REDIS_CLUSTER_NODES: 'redis-0:6379', REDIS_URL: 'redis://redis:6379' })).toThrow(
      'set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both',
    );
  });
});

describe('REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD, REDIS_CLUSTER_TLS, REDIS_TLS_CA_FILE', () => {
  const NODES = 'redis-0:6379,redis-1:6379';
  const PASSWORD = 'pa55:w/rd@!';
  let tls: TestTls;
  const file = (name: string, text: string) => {
    writeFileSync(join(tls.dir, name), text);
    return join(tls.dir, name);
  };
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      load(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('the configuration was accepted');
  };

  beforeAll(() => {
    tls = makeTestTls();
  });
  afterAll(() => {
    tls.remove();
  });

  it('are unset by default: no credentials, no TLS, the system CAs', () => {
    expect(load({})).toMatchObject({ redisClusterUsername: undefined, redisClusterPassword: undefined, redisClusterTls: false, redisTlsCa: undefined });
    expect(load({ REDIS_CLUSTER_NODES: NODES })).toMatchObject({ redisClusterUsername: undefined, redisClusterPassword: undefined, redisClusterTls: false });
  });

  it.each([
    [{ REDIS_CLUSTER_PASSWORD: PASSWORD }, { redisClusterPassword: PASSWORD, redisClusterUsername: undefined, redisClusterTls: false }],
    [{ REDIS_CLUSTER_USERNAME: 'scheduler', REDIS_CLUSTER_PASSWORD: PASSWORD }, { redisClusterUsername: 'scheduler', redisClusterPassword: PASSWORD }],
    [{ REDIS_CLUSTER_TLS: 'true' }, { redisClusterTls: true, redisTlsCa: undefined }],
    [{ REDIS_CLUSTER_TLS: 'false' }, { redisClusterTls: false }],
  ])('takes %j with REDIS_CLUSTER_NODES', (env, expected) => {
    expect(load({ REDIS_CLUSTER_NODES: NODES, ...env })).toMatchObject(expected);
  });

  it('reads REDIS_TLS_CA_FILE at start, for a TLS cluster and for rediss://', () => {
    expect(load({ REDIS_CLUSTER_NODES: NODES, REDIS_CLUSTER_TLS: 'true', REDIS_TLS_CA_FILE: tls.caFile }).redisTlsCa).toBe(tls.ca);
    expect(load({ REDIS_URL: 'rediss://:secret@redis.example.com:6380', REDIS_TLS_CA_FILE: tls.caFile }).redisTlsCa).toBe(tls.ca);
    // A bundle: every certificate in it is checked and kept.
    const bundle = file('bundle.pem', `${tls.ca}\n${tls.ca}`);
    expect(load({ REDIS_URL: 'rediss://redis.example.com', REDIS_TLS_CA_FILE: bundle }).redisTlsCa).toBe(`${tls.ca}\n${tls.ca}`);
  });

  it.each([
    [{ REDIS_CLUSTER_PASSWORD: PASSWORD }, 'REDIS_CLUSTER_PASSWORD is used only with REDIS_CLUSTER_NODES; one Redis takes it in REDIS_URL (redis://:PASSWORD@host:6379)'],
    [{ REDIS_CLUSTER_USERNAME: 'scheduler', REDIS_CLUSTER_PASSWORD: PASSWORD }, 'REDIS_CLUSTER_USERNAME is used only with REDIS_CLUSTER_NODES; one Redis takes it in REDIS_URL (redis://USER:PASSWORD@host:6379)'],
    [{ REDIS_CLUSTER_TLS: 'true' }, 'REDIS_CLUSTER_TLS is used only with REDIS_CLUSTER_NODES; one Redis takes it in REDIS_URL (rediss://host:6380)'],
    [{ REDIS_CLUSTER_TLS: 'false', REDIS_URL: 'redis://redis:6379' }, 'REDIS_CLUSTER_TLS is used only with REDIS_CLUSTER_NODES'],
  ])('stops the start on %j without REDIS_CLUSTER_NODES', (env, message) => {
    expect(problemsOf(env)).toContainEqual(expect.stringContaining(message));
  });

  it.each([
    [{ REDIS_CLUSTER_TLS: 'yes' }, 'REDIS_CLUSTER_TLS must be true or false, got "yes"'],
    [{ REDIS_CLUSTER_TLS: 'TRUE' }, 'REDIS_CLUSTER_TLS must be true or false, got "TRUE"'],
    [{ REDIS_CLUSTER_USERNAME: 'scheduler' }, "REDIS_CLUSTER_USERNAME needs REDIS_CLUSTER_PASSWORD (the ACL user's password)"],
    [{ REDIS_CLUSTER_USERNAME: 'my user', REDIS_CLUSTER_PASSWORD: PASSWORD }, 'REDIS_CLUSTER_USERNAME must not contain spaces or control characters, got "my user"'],
    [{ REDIS_CLUSTER_PASSWORD: `${PASSWORD}\n` }, 'REDIS_CLUSTER_PASSWORD contains a line break (a Secret made from a file that ends with a newline?)'],
    [{ REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, 'REDIS_TLS_CA_FILE is used only with TLS: a rediss:// REDIS_URL, or REDIS_CLUSTER_NODES with REDIS_CLUSTER_TLS=true'],
  ])('stops the start on %j with REDIS_CLUSTER_NODES, saying why', (env, message) => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: NODES, ...env })).toContain(message);
  });

  it('stops the start on a CA file with a plain redis:// REDIS_URL: nothing would use it', () => {
    expect(problemsOf({ REDIS_URL: 'redis://redis:6379', REDIS_TLS_CA_FILE: tls.caFile })).toEqual([
      'REDIS_TLS_CA_FILE is used only with TLS: a rediss:// REDIS_URL, or REDIS_CLUSTER_NODES with REDIS_CLUSTER_TLS=true',
    ]);
  });

  it.each([
    ['a missing file', () => join(tls.dir, 'missing.pem'), /^REDIS_TLS_CA_FILE: cannot read .*missing\.pem: ENOENT/],
    ['a directory', () => tls.dir, /^REDIS_TLS_CA_FILE: cannot read .*: EISDIR/],
    ['a file without a certificate', () => file('key.pem', '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n'), /^REDIS_TLS_CA_FILE: .*key\.pem holds no PEM certificate/],
    ['a damaged certificate', () => file('bad.pem', tls.ca.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA')), /^REDIS_TLS_CA_FILE: certificate 1 of .*bad\.pem does not parse/],
  ])('stops the start on %s as REDIS_TLS_CA_FILE', (_what, path, message) => {
    expect(problemsOf({ REDIS_URL: 'rediss://redis.example.com', REDIS_TLS_CA_FILE: path() })).toEqual([expect.stringMatching(message)]);
  });

  it('never shows a password in a message', () => {
    const problems = [
      ...problemsOf({ REDIS_CLUSTER_PASSWORD: PASSWORD }),
      ...problemsOf({ REDIS_CLUSTER_NODES: NODES, REDIS_CLUSTER_PASSWORD: `${PASSWORD}\n` }),
      ...problemsOf({ REDIS_URL: `redis//user:${PASSWORD}@host` }),
      ...problemsOf({ REDIS_URL: `http://user:${PASSWORD}@host` }),
    ];
    expect(problems.join('\n')).not.toContain('pa55');
    expect(problems).toContain('REDIS_URL must be a redis://, rediss:// or unix:// URL, got "http://user:[redacted]@host"');
    expect(problems).toContain('REDIS_URL must be a redis://, rediss:// or unix:// URL, got "redis//user:[redacted]@host"');
  });

  it.each([
    ['redis://:secret@host:6379/0', 'redis://:[redacted]@host:6379/0'],
    ['rediss://user:s3:cr/t@host', 'rediss://user:[redacted]@host'],
    ['redis://host:6379', 'redis://host:6379'],
    ['redis://secret@host', 'redis://[redacted]@host'],
    ['redis//user:pa55:w/rd@!@host', 'redis//user:[redacted]@host'],
    ['unix:///run/redis.sock', 'unix:///run/redis.sock'],
  ])('withoutPassword(%s) is %s', (url, shown) => {
    expect(withoutPassword(url)).toBe(shown);
  });
});

describe('notifications', () => {
  const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

  it('has no webhook by default and keeps 100,000 events', () => {
    expect(load({}).notifications).toEqual({ webhook: undefined, secret: undefined, streamMaxLen: 100_000 });
  });

  it('takes NOTIFICATIONS_WEBHOOK, NOTIFICATIONS_SECRET and EVENTS_STREAM_MAXLEN', () => {
    expect(load({ NOTIFICATIONS_WEBHOOK: 'https://hooks.example.com/x', NOTIFICATIONS_SECRET: SECRET, EVENTS_STREAM_MAXLEN: '5000' }).notifications).toEqual({
      webhook: 'https://hooks.example.com/x',
      secret: SECRET,
      streamMaxLen: 5000,
    });
  });

  it.each([
    [{ NOTIFICATIONS_WEBHOOK: 'ftp://example.com' }, 'NOTIFICATIONS_WEBHOOK must be an http or https URL, got "ftp://example.com"'],
    [{ NOTIFICATIONS_WEBHOOK: 'not a url' }, 'NOTIFICATIONS_WEBHOOK must be an http or https URL, got "not a url"'],
    [{ NOTIFICATIONS_SECRET: 'plain-secret' }, 'NOTIFICATIONS_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes'],
    [{ EVENTS_STREAM_MAXLEN: '10' }, 'EVENTS_STREAM_MAXLEN must be a whole number from 100 to 100000000, got "10"'],
  ])('stops the start on %j', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });
});

describe('job pod security (JOB_ALLOW_PRIVILEGE_ESCALATION, JOB_CAPABILITIES_ADD, JOB_SECCOMP_PROFILE)', () => {
  it('relaxes nothing by default', () => {
    expect(load({}).kubernetes.jobPodSecurity).toEqual({});
  });

  it.each([
    [{ JOB_ALLOW_PRIVILEGE_ESCALATION: 'true' }, { allowPrivilegeEscalation: true }],
    [{ JOB_ALLOW_PRIVILEGE_ESCALATION: 'false' }, { allowPrivilegeEscalation: false }],
    [{ JOB_CAPABILITIES_ADD: 'NET_BIND_SERVICE, CHOWN,NET_BIND_SERVICE' }, { capabilitiesAdd: ['NET_BIND_SERVICE', 'CHOWN'] }],
    [{ JOB_SECCOMP_PROFILE: 'RuntimeDefault' }, { seccompProfile: { type: 'RuntimeDefault' } }],
    [{ JOB_SECCOMP_PROFILE: 'Unconfined' }, { seccompProfile: { type: 'Unconfined' } }],
    [{ JOB_SECCOMP_PROFILE: 'Localhost:profiles/jobs.json' }, { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/jobs.json' } }],
  ])('takes %j', (env, security) => {
    expect(load(env).kubernetes.jobPodSecurity).toEqual(security);
  });

  it.each([
    [{ JOB_ALLOW_PRIVILEGE_ESCALATION: 'yes' }, 'JOB_ALLOW_PRIVILEGE_ESCALATION must be true or false, got "yes"'],
    [{ JOB_CAPABILITIES_ADD: 'ALL' }, 'JOB_CAPABILITIES_ADD must be a comma list of capability names'],
    [{ JOB_CAPABILITIES_ADD: 'CAP_NET_ADMIN' }, 'JOB_CAPABILITIES_ADD must be a comma list of capability names'],
    [{ JOB_CAPABILITIES_ADD: 'net_admin' }, 'JOB_CAPABILITIES_ADD must be a comma list of capability names'],
    [{ JOB_CAPABILITIES_ADD: ' , ' }, 'JOB_CAPABILITIES_ADD must be a comma list of capability names'],
    [{ JOB_SECCOMP_PROFILE: 'runtime/default' }, 'JOB_SECCOMP_PROFILE must be RuntimeDefault, Unconfined or Localhost:<profile path>, got "runtime/default"'],
    [{ JOB_SECCOMP_PROFILE: 'Localhost:' }, 'JOB_SECCOMP_PROFILE must be RuntimeDefault, Unconfined or Localhost:<profile path>'],
  ])('stops the start on %j, saying what it accepts', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});

describe('HTTP hardening (ALLOWED_ORIGINS, HTTP_*_TIMEOUT_SECONDS, HTTP_MAX_CONNECTIONS)', () => {
  it('allows no origin and sets sane timeouts by default', () => {
    expect(load({}).http).toEqual({ allowedOrigins: [], headersTimeoutMs: 30_000, requestTimeoutMs: 120_000, idleTimeoutMs: 300_000, maxConnections: 1000 });
  });

  it('takes a comma list of origins', () => {
    expect(load({ ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000,https://a.example' }).http.allowedOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
  });

  it.each(['*', 'https://a.example/', 'https://a.example/path', 'a.example', 'null', 'ftp://a.example', 'https://A.example', 'https://a.example:443'])(
    'stops the start on the origin %s, which no browser sends',
    (origin) => {
      expect(() => load({ ALLOWED_ORIGINS: origin })).toThrow(`ALLOWED_ORIGINS must be a comma list of origins like https://app.example.com:8443 (no path, no trailing slash), got "${origin}"`);
    },
  );

  it.each([
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '0' }, 'HTTP_HEADERS_TIMEOUT_SECONDS must be a whole number from 1 to 3600, got "0"'],
    [{ HTTP_REQUEST_TIMEOUT_SECONDS: '1.5' }, 'HTTP_REQUEST_TIMEOUT_SECONDS must be a whole number from 1 to 3600, got "1.5"'],
    [{ HTTP_IDLE_TIMEOUT_SECONDS: 'never' }, 'HTTP_IDLE_TIMEOUT_SECONDS must be a whole number from 1 to 86400, got "never"'],
    [{ HTTP_MAX_CONNECTIONS: '0' }, 'HTTP_MAX_CONNECTIONS must be a whole number from 1 to 1000000, got "0"'],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '60', HTTP_REQUEST_TIMEOUT_SECONDS: '30' }, 'HTTP_HEADERS_TIMEOUT_SECONDS (60) must not be above HTTP_REQUEST_TIMEOUT_SECONDS (30)'],
  ])('stops the start on %j', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });
});

describe('MAX_ACTIVE_JOBS', () => {
  it('is unlimited when unset', () => {
    expect(load({}).maxActiveJobs).toBeUndefined();
  });

  it('takes a whole number from 1', () => {
    expect(load({ MAX_ACTIVE_JOBS: '25' }).maxActiveJobs).toBe(25);
  });

  it.each(['0', '-3', '2.5', 'ten'])('stops the start on %s, saying what it accepts', (value) => {
    expect(() => load({ MAX_ACTIVE_JOBS: value })).toThrow(`MAX_ACTIVE_JOBS must be a whole number from 1 to 1000000, got "${value}"`);
  });
});

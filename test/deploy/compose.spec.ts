import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@rjs/config';

type Service = {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  healthcheck?: { test: string[] };
  privileged?: boolean;
};

const repo = resolve(__dirname, '../..');
const composeFile = join(repo, 'docker-compose.yml');
// `merge` resolves the `<<: *anchor` keys the way Compose does.
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const service = (name: string): Service => {
  if (!services[name]) throw new Error(`no service ${name} in docker-compose.yml`);
  return services[name];
};
const defaultServices = Object.keys(services).filter((name) => !services[name].profiles);
const volumeMountedAt = (s: Service, target: string) => s.volumes?.find((v) => v.split(':')[1] === target)?.split(':')[0];
const hostPorts = (s: Service) => (s.ports ?? []).map((p) => p.split(':')[0]);

/** The configuration a scheduler container loads: the image's NODE_ENV, the service's environment, the radixconfig it mounts. */
function schedulerConfig(name: string) {
  const s = service(name);
  expect(volumeMountedAt(s, '/app/radixconfig.yaml')).toBe('./radixconfig.yaml');
  return loadConfig({ NODE_ENV: 'production', ...s.environment, RADIX_CONFIG: join(repo, 'radixconfig.yaml') });
}

/** `docker compose` (the plugin) or `docker-compose` (v1, Debian's package); npm test installs the latter when both are missing. */
function composeValidator(): string[] {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(command[0], [...command.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return command;
  }
  throw new Error('no Compose validator on PATH (docker compose / docker-compose): install one (apt-get install docker-compose), or run npm test as root, which does');
}

function validate(file: string) {
  const validator = composeValidator();
  return spawnSync(validator[0], [...validator.slice(1), '-f', file, '--profile', 'k3s', 'config', '-q'], { cwd: repo, encoding: 'utf8' });
}

describe('docker-compose.yml', () => {
  it('starts redis, api and worker by default and keeps the k3s variants behind the k3s profile', () => {
    expect(defaultServices.sort()).toEqual(['api', 'redis', 'worker']);
    for (const name of ['k3s', 'api-k3s', 'worker-k3s']) expect(service(name).profiles).toEqual(['k3s']);
  });

  it('runs Redis 7 with AOF (fsync every second), noeviction, a named volume and a healthcheck', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7(\.|$)/);
    const args = redis.command!.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--appendfsync everysec');
    expect(args).toContain('--maxmemory-policy noeviction');
    const volume = volumeMountedAt(redis, '/data')!;
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(redis.healthcheck!.test.join(' ')).toContain('redis-cli ping');
  });

  it.each([
    ['api', ['api', 'watcher'], 'local'],
    ['worker', ['worker'], 'local'],
    ['api-k3s', ['api', 'watcher'], 'kubernetes'],
    ['worker-k3s', ['worker'], 'kubernetes'],
  ])('%s is built from the Dockerfile and runs roles %j on the %s runtime', (name, roles, runtime) => {
    const s = service(name);
    expect(s.build).toBe('.');
    const config = schedulerConfig(name);
    expect(config.roles).toEqual(roles);
    expect(config.runtime).toBe(runtime);
    expect(new URL(config.redisUrl).hostname).toBe('redis');
    expect(s.depends_on?.redis).toEqual({ condition: 'service_healthy' });
    // pretty logs need pino-pretty, a dev dependency that `npm install --omit=dev` leaves out of the image.
    expect(config.log.format).toBe('json');
  });

  it('publishes the API on port 8000, where it listens', () => {
    expect(service('api').ports).toEqual(['8000:8000']);
    expect(schedulerConfig('api').port).toBe(8000);
    expect(service('worker').ports).toBeUndefined();
  });

  it('lets the k3s scheduler run beside the local one: another host port and another Redis database', () => {
    expect(hostPorts(service('api-k3s'))).not.toContain('8000');
    const db = (name: string) => new URL(schedulerConfig(name).redisUrl).pathname || '/';
    expect(db('api-k3s')).toBe(db('worker-k3s'));
    expect(db('api')).toBe(db('worker'));
    expect(db('api-k3s')).not.toBe(db('api'));
  });

  it('runs a privileged k3s server whose kubeconfig reaches the k3s variants through a shared volume', () => {
    const k3s = service('k3s');
    expect(k3s.image).toMatch(/^rancher\/k3s:/);
    expect(k3s.command![0]).toBe('server');
    expect(k3s.privileged).toBe(true);
    const output = k3s.environment!.K3S_KUBECONFIG_OUTPUT;
    const outputDir = output.slice(0, output.lastIndexOf('/'));
    const sharedVolume = volumeMountedAt(k3s, outputDir)!;
    expect(Object.keys(compose.volumes)).toContain(sharedVolume);
    // The rewrite step (server address 127.0.0.1 -> k3s) reads and writes the same volume.
    const rewrite = service('k3s-kubeconfig');
    expect(volumeMountedAt(rewrite, outputDir)).toBe(sharedVolume);
    expect(rewrite.depends_on?.k3s).toEqual({ condition: 'service_healthy' });
    expect(k3s.command!.join(' ')).toContain('--tls-san=k3s');
    for (const name of ['api-k3s', 'worker-k3s']) {
      const s = service(name);
      const kubeconfig = s.environment!.KUBECONFIG;
      const mount = s.volumes!.map((v) => v.split(':')).find(([, target]) => kubeconfig.startsWith(`${target}/`))!;
      expect(mount[0]).toBe(sharedVolume);
      expect(rewrite.command!.join(' ')).toContain(`${outputDir}/${kubeconfig.slice(mount[1].length + 1)}`);
      expect(s.depends_on?.['k3s-kubeconfig']).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it('is accepted by a Compose validator (docker compose config), k3s profile included', () => {
    const result = validate(composeFile);
    // stderr rides along so a failure shows the validator's reasons.
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  });

  it('is checked by a validator that refuses a file against the Compose schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rjs-compose-'));
    try {
      const broken = join(dir, 'docker-compose.yml');
      writeFileSync(broken, 'services:\n  redis:\n    image: redis:7\n    healthcheck:\n      test: 5\n');
      const result = validate(broken);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('healthcheck.test');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

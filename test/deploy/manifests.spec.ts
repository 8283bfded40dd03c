import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, parseJobComponent } from '@rjs/config';
import { controlQueueName, dispatchQueueName, launchQueueName } from '../../libs/queue/src/queue-names';
import { queuePrefix } from '@rjs/queue';

/** The rendered manifests: plain objects, as kubectl would send them. */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: any };

// scripts/ are plain Node: npm test installs kubectl through the same module when it is missing.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kubectlProblem, KUBECTL_HELP } = require('../../scripts/test-tools.js') as { kubectlProblem(): string | undefined; KUBECTL_HELP: string };

const repo = resolve(__dirname, '../..');
const component = 'compute';

// Every render below needs kubectl: without one (or with one too old) the suite fails here, saying how to get it.
const kubectlMissing = kubectlProblem();
if (kubectlMissing) throw new Error(`${kubectlMissing}; ${KUBECTL_HELP}`);

function kustomize(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length) throw doc.errors[0];
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** Base plus a component (components/external-redis...), rendered from a throwaway kustomization outside the tree. */
function kustomizeWith(component: string): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'rjs-kustomize-'));
  try {
    const rel = (p: string) => relative(dir, join(repo, p));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `resources: [${rel('k8s/base')}]\ncomponents: [${rel(`k8s/components/${component}`)}]\n`,
    );
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const renders: Record<string, K8sObject[]> = {
  base: kustomize(join(repo, 'k8s/base')),
  'overlays/example': kustomize(join(repo, 'k8s/overlays/example')),
  'base + external-redis': kustomizeWith('external-redis'),
  'base + external-redis-cluster': kustomizeWith('external-redis-cluster'),
};
const renderNames = Object.keys(renders);

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the render`);
  return found;
}
const container = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const envValue = (deployment: K8sObject, name: string) => container(deployment).env?.find((e: any) => e.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The Deployment's environment as the container sees it: envFrom ConfigMaps, then env values. */
function effectiveEnv(objects: K8sObject[], deployment: K8sObject): Record<string, string | object> {
  const env: Record<string, string | object> = {};
  for (const source of container(deployment).envFrom ?? []) {
    Object.assign(env, named(objects, 'ConfigMap', source.configMapRef.name).data);
  }
  for (const entry of container(deployment).env ?? []) env[entry.name] = entry.value ?? entry.valueFrom;
  return env;
}

function portNumber(c: any, port: number | string): number {
  return typeof port === 'number' ? port : c.ports.find((p: any) => p.name === port).containerPort;
}

describe('Kubernetes manifests (kubectl kustomize)', () => {
  describe.each(renderNames)('%s', (renderName) => {
    const objects = renders[renderName];
    const deployments = ofKind(objects, 'Deployment');

    it('has the api, worker and watcher Deployments, each running its role', () => {
      const roles = Object.fromEntries(deployments.map((d) => [d.metadata.name, envValue(d, 'ROLES')?.value]));
      expect(roles).toEqual({ api: 'api', worker: 'worker', watcher: 'watcher' });
      expect(named(objects, 'Deployment', 'watcher').spec.replicas).toBe(1);
    });

    it.each(['api', 'worker', 'watcher'])('%s has liveness /healthz and readiness /readyz probes on port 8000', (name) => {
      const c = container(named(objects, 'Deployment', name));
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(portNumber(c, c.livenessProbe.httpGet.port)).toBe(8000);
      expect(portNumber(c, c.readinessProbe.httpGet.port)).toBe(8000);
    });

    it.each(['api', 'worker', 'watcher'])('%s requests cpu and memory and limits memory', (name) => {
      const { resources } = container(named(objects, 'Deployment', name));
      expect(resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(resources.limits.memory).toEqual(expect.any(String));
    });

    it.each(['api', 'worker', 'watcher'])('%s runs locked down: non-root, read-only root, no capabilities, RuntimeDefault seccomp', (name) => {
      const pod = named(objects, 'Deployment', name).spec.template.spec;
      const c = pod.containers[0];
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).not.toBe(0);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.securityContext.privileged).not.toBe(true);
      expect(c.securityContext.capabilities.add).toBeUndefined();
      // A read-only root still needs a writable /tmp (the local runtime's work dir and Node's own).
      const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    });

    /** What the ServiceAccount a Deployment runs as may do, as `group/resource:verb`, through every RoleBinding naming it. */
    function grantedTo(deploymentName: string): string[] {
      const account = named(objects, 'Deployment', deploymentName).spec.template.spec.serviceAccountName;
      const bindings = ofKind(objects, 'RoleBinding').filter((b) => b.subjects.some((s: any) => s.kind === 'ServiceAccount' && s.name === account));
      return bindings
        .flatMap((b) => named(objects, b.roleRef.kind, b.roleRef.name).rules)
        .flatMap((r: any) => r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g || 'core'}/${res}:${v}`))))
        .sort();
    }

    it('grants only namespaced Roles, no wildcards, no resource names', () => {
      expect(ofKind(objects, 'ClusterRole')).toEqual([]);
      expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
      for (const role of ofKind(objects, 'Role')) {
        expect(JSON.stringify(role.rules)).not.toContain('*');
        expect(role.rules.some((r: any) => r.resourceNames || r.nonResourceURLs)).toBe(false);
      }
    });

    it('gives each role its own ServiceAccount, bound to its own Role', () => {
      const accounts = deployments.map((d) => d.spec.template.spec.serviceAccountName);
      expect(new Set(accounts).size).toBe(3);
      for (const account of accounts) named(objects, 'ServiceAccount', account);
      // Each RoleBinding binds one account to the Role of the same role.
      for (const binding of ofKind(objects, 'RoleBinding')) {
        expect(binding.subjects).toHaveLength(1);
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: binding.subjects[0].name });
      }
    });

    it.each([
      // The logs routes read pod logs from the API server; nothing else of Kubernetes.
      ['api', ['core/pods/log:get']],
      // Launch, stop, remove: Jobs and their payload Secrets, by name only.
      ['worker', ['batch/jobs:create', 'batch/jobs:get', 'batch/jobs:delete', 'core/secrets:create', 'core/secrets:get', 'core/secrets:delete']],
      // Informers on Jobs and Pods, and a Job read by name before a vanished job gets its final status.
      ['watcher', ['batch/jobs:get', 'batch/jobs:list', 'batch/jobs:watch', 'core/pods:list', 'core/pods:watch']],
    ])('lets the %s Deployment do exactly %j', (name, verbs) => {
      expect(grantedTo(name)).toEqual([...verbs].sort());
    });

    it('lets only pods of the same namespace reach the API port', () => {
      const policies = ofKind(objects, 'NetworkPolicy');
      const apiLabels = named(objects, 'Deployment', 'api').spec.template.metadata.labels;
      const workerLabels = named(objects, 'Deployment', 'worker').spec.template.metadata.labels;
      const apiPolicies = policies.filter((p) => matches(p.spec.podSelector.matchLabels, apiLabels));
      expect(apiPolicies).toHaveLength(1);
      const [policy] = apiPolicies;
      expect(matches(policy.spec.podSelector.matchLabels, workerLabels)).toBe(false);
      expect(policy.spec.policyTypes).toContain('Ingress');
      expect(policy.spec.ingress).toHaveLength(1);
      const [rule] = policy.spec.ingress;
      // A bare podSelector (no namespaceSelector, no ipBlock) means pods of the policy's namespace.
      expect(rule.from).toEqual([{ podSelector: {} }]);
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 8000 }]);
    });

    it(`exposes the API as the Service "${component}" on port 8000`, () => {
      const service = named(objects, 'Service', component);
      const api = named(objects, 'Deployment', 'api');
      expect(matches(service.spec.selector, api.spec.template.metadata.labels)).toBe(true);
      expect(matches(service.spec.selector, named(objects, 'Deployment', 'worker').spec.template.metadata.labels)).toBe(false);
      const [port] = service.spec.ports;
      expect(port.port).toBe(8000);
      expect(portNumber(container(api), port.targetPort)).toBe(8000);
    });

    it('mounts the radixconfig ConfigMap where RADIX_CONFIG points, holding the compute job component', () => {
      for (const d of deployments) {
        const env = effectiveEnv(objects, d);
        const radixConfig = env.RADIX_CONFIG as string;
        const mount = container(d).volumeMounts.find((m: any) => radixConfig.startsWith(`${m.mountPath}/`));
        const volume = d.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
        const configMap = named(objects, 'ConfigMap', volume.configMap.name);
        const text = configMap.data[radixConfig.slice(mount.mountPath.length + 1)];
        expect(text).toBe(readFileSync(join(repo, 'k8s/base/radixconfig.yaml'), 'utf8'));
        expect(parseJobComponent(text, env.JOB_COMPONENT as string, undefined).component).toMatchObject({
          name: component,
          schedulerPort: 8000,
          payloadPath: '/compute/args',
        });
      }
    });

    it.each(['api', 'worker', 'watcher'])('gives %s an environment the config loader accepts, with the Kubernetes runtime', (name) => {
      const d = named(objects, 'Deployment', name);
      const env = effectiveEnv(objects, d);
      // What the Secrets of the components hold (README, k8s/README.md).
      const fromSecret: Record<string, string> = {
        REDIS_URL: 'redis://from-a-secret:6379',
        REDIS_CLUSTER_NODES: 'redis-0.example.com:6380,redis-1.example.com:6380',
        REDIS_CLUSTER_PASSWORD: 'from-a-secret',
        REDIS_CLUSTER_USERNAME: 'scheduler',
      };
      const plain = Object.fromEntries(
        Object.entries(env).map(([k, v]) => {
          if (typeof v === 'string' || !('secretKeyRef' in v)) return [k, v];
          if (!(k in fromSecret)) throw new Error(`${k} comes from a Secret this test does not know`);
          return [k, fromSecret[k]];
        }),
      );
      // The downward API fills the namespace in; the ConfigMap is read here from its source file.
      const config = loadConfig({
        ...plain,
        KUBERNETES_NAMESPACE: 'example',
        RADIX_CONFIG: join(repo, 'k8s/base/radixconfig.yaml'),
      });
      expect(config.roles).toEqual([name]);
      expect(config.runtime).toBe('kubernetes');
      // pretty logs need pino-pretty, a dev dependency that is not in the image.
      expect(config.log.format).toBe('json');
      expect(config.port).toBe(container(d).ports[0].containerPort);
      expect(envValue(d, 'KUBERNETES_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    });
  });

  describe.each(['base', 'overlays/example'])('%s: in-cluster Redis', (renderName) => {
    const objects = renders[renderName];

    it('runs Redis as a StatefulSet with a PersistentVolumeClaim, AOF and noeviction', () => {
      const redis = named(objects, 'StatefulSet', 'redis');
      const c = redis.spec.template.spec.containers[0];
      const args = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
      expect(args).toContain('--appendonly yes');
      expect(args).toContain('--maxmemory-policy noeviction');
      const [claim] = redis.spec.volumeClaimTemplates;
      expect(c.volumeMounts).toContainEqual({ name: claim.metadata.name, mountPath: '/data' });
      expect(redis.spec.template.spec.automountServiceAccountToken).toBe(false);
    });

    it('points REDIS_URL of every scheduler Deployment at the redis Service', () => {
      const redis = named(objects, 'StatefulSet', 'redis');
      const service = named(objects, 'Service', 'redis');
      expect(matches(service.spec.selector, redis.spec.template.metadata.labels)).toBe(true);
      for (const d of ofKind(objects, 'Deployment')) {
        expect(effectiveEnv(objects, d).REDIS_URL).toBe(`redis://redis:${service.spec.ports[0].port}`);
      }
    });
  });

  describe('base + external-redis', () => {
    const objects = renders['base + external-redis'];

    it('drops the in-cluster Redis', () => {
      expect(ofKind(objects, 'StatefulSet')).toEqual([]);
      expect(objects.find((o) => o.kind === 'Service' && o.metadata.name === 'redis')).toBeUndefined();
    });

    it('reads REDIS_URL from the scheduler-redis Secret in every Deployment', () => {
      for (const d of ofKind(objects, 'Deployment')) {
        expect(effectiveEnv(objects, d).REDIS_URL).toEqual({ secretKeyRef: { name: 'scheduler-redis', key: 'url' } });
        expect(container(d).env.filter((e: any) => e.name === 'REDIS_URL')).toHaveLength(1);
      }
      for (const configMap of ofKind(objects, 'ConfigMap')) expect(configMap.data.REDIS_URL).toBeUndefined();
    });
  });

  describe('base + external-redis-cluster', () => {
    const objects = renders['base + external-redis-cluster'];

    it('drops the in-cluster Redis and REDIS_URL', () => {
      expect(ofKind(objects, 'StatefulSet')).toEqual([]);
      expect(objects.find((o) => o.kind === 'Service' && o.metadata.name === 'redis')).toBeUndefined();
      for (const d of ofKind(objects, 'Deployment')) expect(effectiveEnv(objects, d).REDIS_URL).toBeUndefined();
    });

    it('points every Deployment at the cluster over TLS, nodes, password (and an ACL user, when the Secret has one) from the scheduler-redis-cluster Secret', () => {
      for (const d of ofKind(objects, 'Deployment')) {
        const env = effectiveEnv(objects, d);
        expect(env.REDIS_CLUSTER_NODES).toEqual({ secretKeyRef: { name: 'scheduler-redis-cluster', key: 'nodes' } });
        expect(env.REDIS_CLUSTER_TLS).toBe('true');
        expect(env.REDIS_CLUSTER_PASSWORD).toEqual({ secretKeyRef: { name: 'scheduler-redis-cluster', key: 'password' } });
        expect(env.REDIS_CLUSTER_USERNAME).toEqual({ secretKeyRef: { name: 'scheduler-redis-cluster', key: 'username', optional: true } });
      }
      // The credentials only ever come from the Secret.
      for (const configMap of ofKind(objects, 'ConfigMap')) {
        expect(configMap.data.REDIS_CLUSTER_NODES).toBeUndefined();
        expect(configMap.data.REDIS_CLUSTER_PASSWORD).toBeUndefined();
        expect(configMap.data.REDIS_CLUSTER_USERNAME).toBeUndefined();
      }
    });
  });

  describe('overlays/example: KEDA', () => {
    const objects = renders['overlays/example'];
    const [scaledObject] = ofKind(objects, 'ScaledObject');

    it('scales the worker Deployment, keeping one (prioritized launches wait where its list scaler cannot see them)', () => {
      expect(ofKind(objects, 'ScaledObject')).toHaveLength(1);
      expect(scaledObject.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'worker' });
      named(objects, 'Deployment', scaledObject.spec.scaleTargetRef.name);
      expect(scaledObject.spec.minReplicaCount).toBe(1);
      expect(scaledObject.spec.maxReplicaCount).toBeGreaterThan(1);
      // A fixed replica count would fight the HorizontalPodAutoscaler that KEDA creates.
      expect(named(objects, 'Deployment', 'worker').spec.replicas).toBeUndefined();
      expect(named(objects, 'Deployment', 'api').spec.replicas).toBeGreaterThan(0);
    });

    it("reads the length of the dispatch and launch queues' BullMQ wait lists (and the control queue's)", () => {
      const lists = scaledObject.spec.triggers.map((t: any) => {
        expect(t.type).toBe('redis');
        expect(Number(t.metadata.listLength)).toBeGreaterThan(0);
        return t.metadata.listName;
      });
      expect(lists).toContain(`${queuePrefix(component)}:${dispatchQueueName(component)}:wait`);
      expect(lists).toContain(`${queuePrefix(component)}:${launchQueueName(component)}:wait`);
      expect(lists).toContain(`${queuePrefix(component)}:${controlQueueName(component)}:wait`);
    });

    it('authenticates every trigger through a TriggerAuthentication whose Secret has the Redis address', () => {
      for (const trigger of scaledObject.spec.triggers) {
        const auth = named(objects, 'TriggerAuthentication', trigger.authenticationRef.name);
        for (const ref of auth.spec.secretTargetRef) {
          const secret = named(objects, 'Secret', ref.name);
          const value = secret.data?.[ref.key] ? Buffer.from(secret.data[ref.key], 'base64').toString() : secret.stringData?.[ref.key];
          expect(value).toBeDefined();
          if (ref.parameter === 'address') {
            const redisPort = named(objects, 'Service', 'redis').spec.ports[0].port;
            expect(value).toBe(`redis:${redisPort}`);
          }
        }
      }
    });
  });

  it('keeps k8s/base/radixconfig.yaml identical to the repository radixconfig.yaml', () => {
    const root = readFileSync(join(repo, 'radixconfig.yaml'), 'utf8');
    expect(readFileSync(join(repo, 'k8s/base/radixconfig.yaml'), 'utf8')).toBe(root);
    expect(parse(root).spec.jobs.map((j: { name: string }) => j.name)).toContain(component);
  });
});

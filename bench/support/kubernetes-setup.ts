import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './paths';
import type { Seeder } from './seed';
import type { Service } from './service';

/** Creates, on the fake, a live Job (with its pending pod) for each of these jobs, as if launched earlier. */
export async function createLiveJobs(fake: Service, seeder: Seeder, namespace: string, jobNames: string[], chunk = 1000): Promise<void> {
  for (let start = 0; start < jobNames.length; start += chunk) {
    const specs = await seeder.specs(jobNames.slice(start, start + chunk));
    await fake.call('createJobs', { namespace, specs });
  }
}

/** The environment of a scheduler process that runs Kubernetes Jobs on the fake. */
export function kubernetesEnv(kubeconfig: string, namespace: string, extra: Record<string, string> = {}): Record<string, string> {
  return { JOB_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig, KUBERNETES_NAMESPACE: namespace, ...extra };
}

/** Resolves once GET /readyz answers 200 (Redis reachable, the watches synced). */
export async function ready(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within ${timeoutMs} ms (last ${status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The process-level settings a deployment manifest gives its container (NODE_OPTIONS, glibc's
 * MALLOC_* variables), e.g. `deploymentProcessEnv('watcher')` from k8s/base/watcher.yaml: a
 * benchmark of that role runs its process as deployed.
 */
export function deploymentProcessEnv(manifest: string): Record<string, string> {
  const file = join(ROOT, 'k8s', 'base', `${manifest}.yaml`);
  const deployment = parse(readFileSync(file, 'utf8')) as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } };
  const env: Record<string, string> = {};
  for (const { name, value } of deployment.spec.template.spec.containers[0].env ?? []) {
    if (value !== undefined && (name === 'NODE_OPTIONS' || name.startsWith('MALLOC_'))) env[name] = value;
  }
  return env;
}

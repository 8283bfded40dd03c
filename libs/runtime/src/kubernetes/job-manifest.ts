import type {
  V1Capabilities,
  V1Container,
  V1EnvVar,
  V1Job,
  V1PodFailurePolicy,
  V1PodSecurityContext,
  V1PodSpec,
  V1ResourceRequirements,
  V1Secret,
  V1SecurityContext,
} from '@kubernetes/client-node';
import type { FailurePolicy, ResolvedJob } from '@rjs/core';
import { resolveImage } from './image-reference';
import { AnnotationKey, jobLabels } from './labels';
import { type NodeTypeMapping, type Placement, placementFor } from './node-types';

export const PAYLOAD_FILE_NAME = 'payload';
const PAYLOAD_VOLUME = 'payload';

export interface ManifestOptions {
  namespace: string;
  /** How long Kubernetes keeps a finished Job; the status record outlives it. */
  ttlSecondsAfterFinished?: number;
  nodeTypes: NodeTypeMapping;
  /** The architecture of a job that names none (the component's runtime.architecture); default amd64. */
  defaultArchitecture?: string;
  /** Relaxations of the job pods' hardened defaults, from the scheduler's configuration (never from a request). */
  podSecurity?: JobPodSecurity;
}

/**
 * What the operator may relax of a job pod's hardening, for the one component a scheduler serves
 * (JOB_ALLOW_PRIVILEGE_ESCALATION, JOB_CAPABILITIES_ADD, JOB_SECCOMP_PROFILE). Omitted: the default.
 */
export interface JobPodSecurity {
  /** Default false (setuid binaries such as sudo gain nothing). */
  allowPrivilegeEscalation?: boolean;
  /** Capabilities added back after dropping ALL; default none. */
  capabilitiesAdd?: string[];
  /** Default RuntimeDefault; `Localhost` needs `localhostProfile`. */
  seccompProfile?: { type: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostProfile?: string };
}

/** The hardened defaults (the Pod Security Standard "restricted" asks for each), with the configured relaxations. */
export function jobSecurityContexts(security: JobPodSecurity = {}): { pod: V1PodSecurityContext; container: V1SecurityContext } {
  const capabilities: V1Capabilities = { drop: ['ALL'] };
  if (security.capabilitiesAdd?.length) capabilities.add = [...security.capabilitiesAdd];
  return {
    pod: { seccompProfile: { ...(security.seccompProfile ?? { type: 'RuntimeDefault' }) } },
    container: { allowPrivilegeEscalation: security.allowPrivilegeEscalation ?? false, capabilities },
  };
}

/** The job cannot be turned into a valid Job (no image, an unfilled image placeholder...). */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

export function payloadSecretName(jobName: string): string {
  return `${jobName}-payload`;
}

/** `<payload.path>/payload`, the file JOB_PAYLOAD_FILE names. */
export function payloadFilePath(payloadPath: string): string {
  return `${payloadPath.replace(/\/+$/, '')}/${PAYLOAD_FILE_NAME}`;
}

/** A DNS label for the container (podFailurePolicy rules name it), from the component name. */
export function containerName(component: string): string {
  const name = component.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/^-+|-+$/g, '');
  return name || 'job';
}

/** Variables as env, then RADIX_JOB_NAME and JOB_PAYLOAD_FILE, which a variable cannot override. */
function envOf(job: ResolvedJob): V1EnvVar[] {
  const system: V1EnvVar[] = [{ name: 'RADIX_JOB_NAME', value: job.name }];
  if (job.payloadPath) system.push({ name: 'JOB_PAYLOAD_FILE', value: payloadFilePath(job.payloadPath) });
  const reserved = new Set(system.map((e) => e.name));
  const variables = Object.keys(job.variables)
    .filter((name) => !reserved.has(name))
    .sort()
    .map((name) => ({ name, value: job.variables[name] }));
  return [...variables, ...system];
}

/** Requested resources plus the placement's GPU limits; a limit the job sets itself wins. */
function resourcesOf(job: ResolvedJob, placement: Placement): V1ResourceRequirements | undefined {
  const limits = { ...placement.limits, ...job.resources.limits };
  const resources: V1ResourceRequirements = {};
  if (Object.keys(limits).length) resources.limits = limits;
  if (job.resources.requests && Object.keys(job.resources.requests).length) resources.requests = { ...job.resources.requests };
  return Object.keys(resources).length ? resources : undefined;
}

function imageOf(job: ResolvedJob): string {
  if (!job.image) throw new ManifestError(`job ${job.name} has no image: set image on the job component`);
  const image = resolveImage(job.image, job.imageTagName);
  if (!image) throw new ManifestError(`image ${job.image} needs an imageTagName`);
  return image;
}

function containerOf(job: ResolvedJob, placement: Placement, withPayload: boolean, security: V1SecurityContext): V1Container {
  const container: V1Container = { name: containerName(job.component), image: imageOf(job), env: envOf(job), securityContext: security };
  // undefined: nothing configured; []: a deliberate override. Both leave the image's ENTRYPOINT/CMD.
  if (job.command?.length) container.command = [...job.command];
  if (job.args?.length) container.args = [...job.args];
  const resources = resourcesOf(job, placement);
  if (resources) container.resources = resources;
  if (withPayload && job.payloadPath) {
    container.volumeMounts = [{ name: PAYLOAD_VOLUME, mountPath: job.payloadPath, readOnly: true }];
  }
  return container;
}

function podSpecOf(job: ResolvedJob, placement: Placement, withPayload: boolean, podSecurity?: JobPodSecurity): V1PodSpec {
  const security = jobSecurityContexts(podSecurity);
  const spec: V1PodSpec = {
    restartPolicy: 'Never',
    // The job program does not talk to the Kubernetes API; do not hand it a token.
    automountServiceAccountToken: false,
    // Service env vars would leak the namespace's services into the job's environment.
    enableServiceLinks: false,
    securityContext: security.pod,
    containers: [containerOf(job, placement, withPayload, security.container)],
  };
  if (withPayload && job.payloadPath) {
    spec.volumes = [{ name: PAYLOAD_VOLUME, secret: { secretName: payloadSecretName(job.name) } }];
  }
  if (placement.matchExpressions.length) {
    spec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: placement.matchExpressions }] },
      },
    };
  }
  if (placement.tolerations.length) spec.tolerations = placement.tolerations;
  return spec;
}

/** Kubernetes wants each rule's exit codes unique and in ascending order. */
export function podFailurePolicyOf(policy: FailurePolicy | undefined, container: string): V1PodFailurePolicy | undefined {
  if (!policy?.rules.length) return undefined;
  return {
    rules: policy.rules.map((rule) => ({
      action: rule.action,
      onExitCodes: {
        containerName: container,
        operator: rule.onExitCodes.operator,
        values: [...new Set(rule.onExitCodes.values)].sort((a, b) => a - b),
      },
    })),
  };
}

/**
 * The batch/v1 Job for a scheduled job. Pure: the same job and options give the same manifest.
 * `withPayload` mounts the payload Secret (created after the Job, owned by it) at `payload.path`.
 * Throws ManifestError or PlacementError for a job that cannot run.
 */
export function buildJobManifest(job: ResolvedJob, options: ManifestOptions, withPayload: boolean): V1Job {
  const labels = jobLabels(job);
  const placement = placementFor(job, options.nodeTypes, options.defaultArchitecture);
  const annotations = job.jobId ? { [AnnotationKey.jobId]: job.jobId } : undefined;
  const manifest: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: job.name, namespace: options.namespace, labels, ...(annotations && { annotations }) },
    spec: {
      backoffLimit: job.backoffLimit,
      activeDeadlineSeconds: job.timeLimitSeconds,
      template: { metadata: { labels: { ...labels }, ...(annotations && { annotations }) }, spec: podSpecOf(job, placement, withPayload, options.podSecurity) },
    },
  };
  const spec = manifest.spec!;
  if (options.ttlSecondsAfterFinished !== undefined) spec.ttlSecondsAfterFinished = options.ttlSecondsAfterFinished;
  const podFailurePolicy = podFailurePolicyOf(job.failurePolicy, containerName(job.component));
  if (podFailurePolicy) spec.podFailurePolicy = podFailurePolicy;
  return manifest;
}

/** The payload Secret, owned by its Job so the garbage collector removes it with the Job. */
export function buildPayloadSecret(job: ResolvedJob, payload: string, owner: { name: string; uid: string }, namespace: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: payloadSecretName(job.name),
      namespace,
      labels: jobLabels(job),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: false }],
    },
    data: { [PAYLOAD_FILE_NAME]: Buffer.from(payload, 'utf8').toString('base64') },
  };
}

import type { Json, KubeObject } from './object-store';

/**
 * The API server's validation, for the fields the scheduler sets: what a real cluster would reject
 * with 422 Invalid is rejected here too, so a broken manifest fails in tests, not in production.
 */
export interface Cause {
  field: string;
  message: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const MAX_SECRET_BYTES = 1024 * 1024;

function labelKeyProblem(key: string): string | undefined {
  const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return 'prefix must be a DNS subdomain';
  if (!name || name.length > 63 || !LABEL_NAME.test(name)) return 'name part must be 63 characters or less of [A-Za-z0-9-_.]';
  return undefined;
}

function validateLabels(labels: Record<string, string> | undefined, field: string, causes: Cause[]): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) causes.push({ field: `${field}`, message: `Invalid value: "${key}": ${keyProblem}` });
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push({ field: `${field}`, message: `Invalid value: "${value}": a valid label must be 63 characters or less` });
    }
  }
}

export function validateMetadata(object: KubeObject, maxNameLength: number, causes: Cause[]): void {
  const name = object.metadata?.name;
  if (!name) causes.push({ field: 'metadata.name', message: 'Required value' });
  else if (name.length > maxNameLength || !DNS_SUBDOMAIN.test(name)) {
    causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": must be a lowercase RFC 1123 name of at most ${maxNameLength} characters` });
  }
  validateLabels(object.metadata?.labels, 'metadata.labels', causes);
}

function validateContainer(container: Json, field: string, causes: Cause[]): void {
  if (!container.name || !DNS_LABEL.test(container.name)) causes.push({ field: `${field}.name`, message: 'Invalid value: must be a DNS label' });
  if (!container.image) causes.push({ field: `${field}.image`, message: 'Required value' });
  for (const [i, env] of (container.env ?? []).entries()) {
    if (!ENV_NAME.test(env.name ?? '')) causes.push({ field: `${field}.env[${i}].name`, message: `Invalid value: "${env.name}"` });
  }
  for (const key of ['command', 'args']) {
    const list = container[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((v) => typeof v !== 'string'))) {
      causes.push({ field: `${field}.${key}`, message: 'Invalid value: must be a list of strings' });
    }
  }
  for (const [i, mount] of (container.volumeMounts ?? []).entries()) {
    if (!mount.mountPath?.startsWith('/')) causes.push({ field: `${field}.volumeMounts[${i}].mountPath`, message: 'must be an absolute path' });
  }
}

/** ValidateNodeSelectorRequirement of kube-apiserver (pkg/apis/core/validation), with its messages. */
function validateNodeSelectorRequirement(requirement: Json, field: string, causes: Cause[]): void {
  const values: unknown[] = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) causes.push({ field: `${field}.values`, message: "Required value: must be specified when `operator` is 'In' or 'NotIn'" });
      for (const [i, value] of values.entries()) {
        if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
          causes.push({ field: `${field}.values[${i}]`, message: `Invalid value: "${String(value)}": a valid label must be 63 characters or less` });
        }
      }
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) causes.push({ field: `${field}.values`, message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) causes.push({ field: `${field}.values`, message: "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'" });
      break;
    default:
      causes.push({ field: `${field}.operator`, message: `Invalid value: "${requirement.operator}": not a valid selector operator` });
  }
  const keyProblem = labelKeyProblem(String(requirement.key ?? ''));
  if (keyProblem) causes.push({ field: `${field}.key`, message: `Invalid value: "${requirement.key}": ${keyProblem}` });
}

function validateNodeAffinity(affinity: Json | undefined, field: string, causes: Cause[]): void {
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return;
  const at = `${field}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
  const terms: Json[] = required.nodeSelectorTerms ?? [];
  if (terms.length === 0) causes.push({ field: at, message: 'Required value: must have at least one node selector term' });
  for (const [i, term] of terms.entries()) {
    for (const [j, requirement] of (term.matchExpressions ?? []).entries()) validateNodeSelectorRequirement(requirement, `${at}[${i}].matchExpressions[${j}]`, causes);
  }
}

function validatePodSpec(spec: Json | undefined, field: string, causes: Cause[]): void {
  if (!spec?.containers?.length) {
    causes.push({ field: `${field}.containers`, message: 'Required value' });
    return;
  }
  validateNodeAffinity(spec.affinity, `${field}.affinity`, causes);
  spec.containers.forEach((c: Json, i: number) => validateContainer(c, `${field}.containers[${i}]`, causes));
  const volumes = new Set((spec.volumes ?? []).map((v: Json) => v.name));
  for (const [i, mount] of (spec.containers[0].volumeMounts ?? []).entries()) {
    if (!volumes.has(mount.name)) causes.push({ field: `${field}.containers[0].volumeMounts[${i}].name`, message: `Not found: "${mount.name}"` });
  }
}

function validatePodFailurePolicy(spec: Json, causes: Cause[]): void {
  const policy = spec.podFailurePolicy;
  if (!policy) return;
  const template = spec.template?.spec ?? {};
  if (template.restartPolicy !== 'Never') {
    causes.push({ field: 'spec.template.spec.restartPolicy', message: 'Invalid value: only "Never" is supported when podFailurePolicy is specified' });
  }
  const containers = new Set((template.containers ?? []).map((c: Json) => c.name));
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    const field = `spec.podFailurePolicy.rules[${i}]`;
    if (!['FailJob', 'Ignore', 'Count', 'FailIndex'].includes(rule.action)) causes.push({ field: `${field}.action`, message: `Unsupported value: "${rule.action}"` });
    const on = rule.onExitCodes;
    if (!on) continue;
    if (!['In', 'NotIn'].includes(on.operator)) causes.push({ field: `${field}.onExitCodes.operator`, message: `Unsupported value: "${on.operator}"` });
    if (on.containerName && !containers.has(on.containerName)) {
      causes.push({ field: `${field}.onExitCodes.containerName`, message: `Invalid value: "${on.containerName}": must name a container` });
    }
    const values: number[] = on.values ?? [];
    if (values.length === 0 || values.length > 255) causes.push({ field: `${field}.onExitCodes.values`, message: 'must have 1 to 255 values' });
    values.forEach((v, j) => {
      if (j > 0 && values[j - 1] >= v) causes.push({ field: `${field}.onExitCodes.values[${j}]`, message: 'must be ordered and unique' });
      if (v === 0 && on.operator === 'In') causes.push({ field: `${field}.onExitCodes.values[${j}]`, message: 'Invalid value: 0: must not be 0 for the In operator' });
    });
  }
}

export function validateJob(job: KubeObject): Cause[] {
  const causes: Cause[] = [];
  // A Job's name is copied into a label of its pods, so it must fit a label value.
  validateMetadata(job, 63, causes);
  const spec = job.spec ?? {};
  validateLabels(spec.template?.metadata?.labels, 'spec.template.metadata.labels', causes);
  validatePodSpec(spec.template?.spec, 'spec.template.spec', causes);
  if (!['Never', 'OnFailure'].includes(spec.template?.spec?.restartPolicy)) {
    causes.push({ field: 'spec.template.spec.restartPolicy', message: 'Unsupported value: must be "OnFailure" or "Never"' });
  }
  if (spec.backoffLimit !== undefined && !(Number.isInteger(spec.backoffLimit) && spec.backoffLimit >= 0)) {
    causes.push({ field: 'spec.backoffLimit', message: 'must be greater than or equal to 0' });
  }
  if (spec.activeDeadlineSeconds !== undefined && !(Number.isInteger(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds > 0)) {
    causes.push({ field: 'spec.activeDeadlineSeconds', message: 'must be greater than 0' });
  }
  validatePodFailurePolicy(spec, causes);
  return causes;
}

export function validateSecret(secret: KubeObject): Cause[] {
  const causes: Cause[] = [];
  validateMetadata(secret, 253, causes);
  let size = 0;
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) causes.push({ field: `data[${key}]`, message: 'must be base64' });
    else size += Buffer.from(value, 'base64').length;
  }
  if (size > MAX_SECRET_BYTES) causes.push({ field: 'data', message: `Too long: must have at most ${MAX_SECRET_BYTES} bytes` });
  return causes;
}

export function validatePod(pod: KubeObject): Cause[] {
  const causes: Cause[] = [];
  validateMetadata(pod, 253, causes);
  validatePodSpec(pod.spec, 'spec', causes);
  return causes;
}

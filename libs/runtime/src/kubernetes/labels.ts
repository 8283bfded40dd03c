import { generationOf, type ResolvedJob } from '@rjs/core';

/**
 * Label and annotation keys on the Jobs, pods and payload Secrets this scheduler creates.
 *
 * These keys are a wire contract: the watcher selects its objects by them and Jobs created by an
 * older version still carry them. Renaming a key needs a migration (relabel the running Jobs, or
 * select by both keys for a release), otherwise running Jobs become invisible to the watcher.
 *
 * They use our own `radix-job-scheduler/` prefix rather than radix-operator's bare `radix-*` keys so
 * that radix-operator, if it runs in the same namespace, never mistakes our Jobs for its own.
 */
export const LabelKey = {
  managedBy: 'radix-job-scheduler/managed-by',
  component: 'radix-job-scheduler/component',
  batchName: 'radix-job-scheduler/batch-name',
  jobName: 'radix-job-scheduler/job-name',
  batchType: 'radix-job-scheduler/batch-type',
  /**
   * The run of the job (JobRecord.generation; a restart adds one). A restart's Job keeps the job's
   * name, so this tells its objects (and its observations) from those of an earlier run. Objects
   * without it are of the first run (0).
   */
  generation: 'radix-job-scheduler/generation',
} as const;

export const AnnotationKey = {
  /** The caller's free-text jobId; free text is not a valid label value, so it is an annotation. */
  jobId: 'radix-job-scheduler/job-id',
} as const;

/** The value of the managed-by label. */
export const MANAGED_BY = 'radix-job-scheduler';

const LABEL_VALUE_MAX = 63;

/**
 * Turns any string into a valid label value: at most 63 characters of [A-Za-z0-9-_.], starting and
 * ending with an alphanumeric. Deterministic, so selectors built from the same input match.
 */
export function toLabelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, LABEL_VALUE_MAX)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}

/** Labels of a Job, its pod template and its payload Secret. */
export function jobLabels(job: ResolvedJob): Record<string, string> {
  return {
    [LabelKey.managedBy]: MANAGED_BY,
    [LabelKey.component]: toLabelValue(job.component),
    [LabelKey.batchName]: toLabelValue(job.batchName),
    [LabelKey.jobName]: toLabelValue(job.name),
    [LabelKey.batchType]: job.batchType,
    [LabelKey.generation]: String(generationOf(job)),
  };
}

/** The run an object (Job, pod, Secret) belongs to, from its labels; 0 without the label. */
export function generationOfObject(object: { metadata?: { labels?: Record<string, string> } } | undefined): number {
  const value = Number(object?.metadata?.labels?.[LabelKey.generation] ?? 0);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** Selects every object this service manages for one job component (equality-based, one namespace). */
export function componentSelector(component: string): string {
  return `${LabelKey.managedBy}=${MANAGED_BY},${LabelKey.component}=${toLabelValue(component)}`;
}

/** True when the labels say this service created the object for this component. */
export function isManagedBy(labels: Record<string, string> | undefined, component: string): boolean {
  return labels?.[LabelKey.managedBy] === MANAGED_BY && labels[LabelKey.component] === toLabelValue(component);
}

/** The scheduler's job name an object belongs to, from its labels. */
export function jobNameOf(labels: Record<string, string> | undefined): string | undefined {
  return labels?.[LabelKey.jobName];
}

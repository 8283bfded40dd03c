/**
 * The request vocabulary of the Radix job-scheduler API (field names as in the original's OpenAPI
 * document) and the fully resolved job that a runtime launches.
 */

import type { BatchStatusRule } from './batch-status';

export type ResourceList = Record<string, string>;

export interface Resources {
  limits?: ResourceList;
  requests?: ResourceList;
}

export interface Runtime {
  architecture?: string;
  nodeType?: string;
}

/** The older GPU form: `gpu` is a comma list of GPU node types, `gpuCount` the minimum number of GPUs. */
export interface NodeRequirement {
  gpu?: string;
  gpuCount?: string;
}

export type FailurePolicyAction = 'FailJob' | 'Ignore' | 'Count';
export type ExitCodeOperator = 'In' | 'NotIn';

export interface FailurePolicyRule {
  action: FailurePolicyAction;
  onExitCodes: { operator: ExitCodeOperator; values: number[] };
}

export interface FailurePolicy {
  rules: FailurePolicyRule[];
}

/** Every field that can be set at each level: component, batch default, batch item or single job. */
export interface JobOptions {
  image?: string;
  imageTagName?: string;
  timeLimitSeconds?: number;
  backoffLimit?: number;
  failurePolicy?: FailurePolicy;
  resources?: Resources;
  runtime?: Runtime;
  node?: NodeRequirement;
  variables?: Record<string, string>;
  command?: string[];
  args?: string[];
  /** Launch order among Waiting jobs: 0..1000, higher first; equal priorities launch in arrival order. */
  priority?: number;
}

/** RadixJobComponentConfig: the batch-level defaults. */
export type RadixJobComponentConfig = JobOptions;

/** JobScheduleDescription: a single job request or one item of a batch. */
export interface JobScheduleDescription extends JobOptions {
  payload?: string;
  jobId?: string;
}

/** BatchScheduleDescription: a batch request. */
export interface BatchScheduleDescription {
  batchId?: string;
  defaultRadixJobComponentConfig?: RadixJobComponentConfig;
  jobScheduleDescriptions: JobScheduleDescription[];
}

/** The job component entry of radixconfig.yaml that this scheduler serves. */
export interface JobComponent extends JobOptions {
  name: string;
  schedulerPort: number;
  /** Directory where the payload file is mounted; no payload is accepted without it. */
  payloadPath?: string;
  /** How the status of a batch follows from its jobs' statuses, before the built-in rules. */
  batchStatusRules?: BatchStatusRule[];
  /** `notifications` of radixconfig.yaml: the webhook that receives every change (NOTIFICATIONS_WEBHOOK overrides it). */
  notifications?: { webhook?: string };
}

export const DEFAULT_TIME_LIMIT_SECONDS = 43200;
export const DEFAULT_BACKOFF_LIMIT = 0;
export const DEFAULT_PRIORITY = 0;
export const MAX_PRIORITY = 1000;
/** 1 MB, as the Radix documentation states. */
export const MAX_PAYLOAD_BYTES = 1_048_576;

/** A payload that is empty or only whitespace counts as none, as in the original (it trims payloads). */
export function isPayloadGiven(payload: string | undefined): payload is string {
  return payload !== undefined && payload.trim() !== '';
}

/** A job with every option resolved, ready for a runtime. The payload travels separately. */
export interface ResolvedJob {
  name: string;
  batchName: string;
  batchType: BatchType;
  jobId?: string;
  component: string;
  image?: string;
  imageTagName?: string;
  timeLimitSeconds: number;
  backoffLimit: number;
  failurePolicy?: FailurePolicy;
  resources: Resources;
  runtime?: Runtime;
  node?: NodeRequirement;
  variables: Record<string, string>;
  /** undefined: nothing configured (use the image's ENTRYPOINT); [] a deliberate suppression. */
  command?: string[];
  args?: string[];
  payloadPath?: string;
  hasPayload: boolean;
  /** As set on any layer (absent: not set, which launches as 0); fixed at acceptance. */
  priority?: number;
  /**
   * The run to launch (JobRecord.generation; absent: the first). Set by the launcher, never stored
   * with the spec: a restart launches the same spec again as a new run.
   */
  generation?: number;
}

/** A single job is a batch of type `job` holding one job. */
export type BatchType = 'job' | 'batch';

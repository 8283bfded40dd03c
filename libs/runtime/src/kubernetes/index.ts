export * from './kubernetes-job-runtime';
export * from './job-manifest';
export * from './job-status-mapper';
export * from './node-types';
export * from './labels';
export * from './resource-informer';
export * from './token-bucket';
export type { KubernetesRuntimeLogger } from './runtime-logger';
export type { RetryPolicy } from './backoff';

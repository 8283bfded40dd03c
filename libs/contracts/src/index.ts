/**
 * The contracts of a job's options, shared by the HTTP API (request bodies) and libs/config (the job
 * component of radixconfig.yaml): class-validator DTOs with their OpenAPI decorators, the field
 * rules, and the flattening of broken rules into field paths. Plus the file's batchStatusRules.
 */
export * from './batch-status-rules.dto';
export * from './rules';
export * from './schedule-requests.dto';
export * from './copy-request.dto';
export * from './validate-contract';
export * from './common-shapes';
export * from './validation-problems';

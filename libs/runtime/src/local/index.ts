export { LocalJobRuntime, type LocalRuntimeOptions, ORPHAN_MESSAGE } from './local-job-runtime';
export { SHUTDOWN_MESSAGE } from './local-job';
export { JobDirectory, type LaunchMarker } from './job-directory';
export { INHERITED_VARIABLES } from './job-environment';
export type { LocalRuntimeLogger } from './runtime-logger';
export { LocalJobLogs, type LocalJobLogsOptions } from './local-job-logs';

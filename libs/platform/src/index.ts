// What the api, worker and scheduler apps share: injection tokens, logging, readiness checks and
// metrics. Apps import these from here, never from one another.
export * from './tokens';
export { createLogger, type Logger, PinoNestLogger, REDACTED, REDACTED_PATHS } from './logging';
export { Readiness, type ReadinessCheck, type ReadinessWarning } from './readiness';
export { Metrics, QUEUE_STATES } from './metrics';
export { type OperatorCredentials, requireBasicAuth } from './basic-auth';
export { PeriodicTask } from './periodic-task';

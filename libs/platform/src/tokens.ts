/** Injection tokens for the ports and infrastructure; use cases are injected by their class. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const REDIS = Symbol('REDIS');
export const STATUS_STORE = Symbol('STATUS_STORE');
export const WORK_QUEUE = Symbol('WORK_QUEUE');
export const JOB_RUNTIME = Symbol('JOB_RUNTIME');
export const CLOCK = Symbol('CLOCK');
export const LOGGER = Symbol('LOGGER');
export const JOB_LOGS = Symbol('JOB_LOGS');
export const NOTIFICATION_OUTBOX = Symbol('NOTIFICATION_OUTBOX');

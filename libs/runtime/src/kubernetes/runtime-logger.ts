/**
 * The part of a pino logger the Kubernetes runtime uses (fields first, then the message), so the
 * composition root can pass `logger.child({ runtime: 'kubernetes' })` as it is.
 */
export interface KubernetesRuntimeLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** Warnings and errors to the console, info dropped: for use without a configured logger. */
export const consoleLogger: KubernetesRuntimeLogger = {
  info: () => undefined,
  warn: (fields, message) => console.warn(message ?? '', fields),
  error: (fields, message) => console.error(message ?? '', fields),
};

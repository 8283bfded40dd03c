import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { AppConfig } from '@rjs/config';

export type { Logger } from 'pino';

/** Paths that may hold a payload or variables: never written to the log. */
const REDACT = ['payload', '*.payload', 'variables', '*.variables', 'req.headers.authorization'];

/** Structured JSON logs in production, human-readable ones in development. */
export function createLogger(config: Pick<AppConfig, 'log'>): Logger {
  const options = { level: config.log.level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'radix-job-scheduler' } };
  if (config.log.format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(options);
}

/** Lets NestJS write through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

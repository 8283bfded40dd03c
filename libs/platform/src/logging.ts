import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '@rjs/config';

export type { Logger } from 'pino';

/**
 * Paths that may hold a payload, variables (often secrets) or credentials: never written to the log.
 * Pino's wildcards match one level each, so the fields are listed at the depths log calls use
 * (`{ payload }`, `{ job: { payload } }`, `{ detail: { job: { variables } } }`).
 */
const SECRET_FIELDS = ['payload', 'variables', 'secrets', 'password', 'authorization'];
export const REDACTED_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];
export const REDACTED = '[redacted]';

/**
 * Structured JSON logs in production, human-readable ones in development. Tests pass a
 * destination to read the lines back.
 */
export function createLogger(config: Pick<AppConfig, 'log'>, destination?: DestinationStream): Logger {
  const options = { level: config.log.level, redact: { paths: REDACTED_PATHS, censor: REDACTED }, base: { service: 'radix-job-scheduler' } };
  if (config.log.format === 'pretty' && !destination) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  // Asynchronous writes to stdout: the lines logged while a write is in flight go out together in
  // the next one, instead of a write system call per line (at thousands of requests a second, the
  // access log's write cost ~8% of accepting a job: benchmark 1). pino writes what is left
  // synchronously when the process exits; a kill -9 loses the lines of the last write or so.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/**
 * Lets NestJS write through pino. An object message goes in as a field, not as its String(),
 * so that it stays structured and the redaction paths apply to it.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.write('info', message, { context });
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', message, { context, trace });
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, { context });
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, { context });
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, { context });
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, { context });
  }

  private write(level: pino.Level, message: unknown, fields: Record<string, unknown>) {
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, detail: message });
    else this.logger[level](fields, String(message));
  }
}

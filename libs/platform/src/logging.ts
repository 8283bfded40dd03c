import type { LoggerService } from '@nestjs/common';
import { register as onProcessExit } from 'on-exit-leak-free';
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
  return pino(options, destination ?? new TurnBatchedDestination(pino.destination({ dest: 1, sync: true })));
}

/** What TurnBatchedDestination writes to: pino's own destination (sonic-boom). */
interface LineTarget {
  write(text: string): unknown;
  flushSync(): void;
}

/**
 * Standard output for pino, written once per turn of the event loop: the lines logged in one turn
 * (the access lines of every request answered in it, say) go out together in one synchronous write
 * at its end, through pino's destination, which retries a full pipe. Writing each line costs a
 * system call, and pino's asynchronous destination hands each write to libuv's thread pool, which
 * cost more than the line (~5 µs of the ~65 µs of accepting a job, benchmark 1); sonic-boom's own
 * buffering (minLength) either holds lines for a timer or, on every line, re-measures everything
 * buffered. Lines still pending when the process exits (process.exit, an uncaught exception) are
 * written by an exit hook; a kill -9 loses at most the lines of the turn it lands in.
 */
export class TurnBatchedDestination implements DestinationStream {
  private pending: string[] = [];

  constructor(private readonly target: LineTarget) {
    // Weakly held: a process that creates many loggers (the tests) keeps one exit listener.
    onProcessExit(this, (destination) => destination.flushSync());
  }

  write(line: string): void {
    if (this.pending.push(line) === 1) setImmediate(this.writePending);
  }

  /** pino's logger.flush(): what is pending is written (synchronously) before `done` is called. */
  flush(done?: (error?: Error) => void): void {
    this.writePending();
    done?.();
  }

  /** At exit: what is pending, now. */
  flushSync(): void {
    this.writePending();
    this.target.flushSync();
  }

  private readonly writePending = (): void => {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.target.write(text);
  };
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

/**
 * Domain errors carry a stable code; the HTTP edge maps codes to statuses and the Radix body
 * `{status, message, reason, code}`. Nothing below a controller throws an HTTP exception.
 */
export const ErrorCode = {
  Invalid: 'Invalid',
  NotFound: 'NotFound',
  BadRequest: 'BadRequest',
  Conflict: 'Conflict',
  Unavailable: 'ServiceUnavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** One broken rule, named by its field path, e.g. `jobScheduleDescriptions[3].timeLimitSeconds`. */
export interface FieldProblem {
  path: string;
  message: string;
}

export class InvalidRequestError extends DomainError {
  constructor(readonly problems: FieldProblem[]) {
    super(ErrorCode.Invalid, problems.map((p) => (p.path ? `${p.path} ${p.message}` : p.message)).join('; '));
  }
}

export const notFound = (what: string) => new DomainError(ErrorCode.NotFound, `${what} is not found`);
export const badRequest = (message: string) => new DomainError(ErrorCode.BadRequest, message);
export const conflict = (message: string) => new DomainError(ErrorCode.Conflict, message);

/**
 * A write whose outcome is unknown: the connection failed after the command had left, so it may
 * have landed (Redis crashed before answering). The store throws it, with the failure as cause.
 */
export class WriteOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super('the status store failed before answering a write; it may have landed', { cause });
    this.name = 'WriteOutcomeUnknownError';
  }
}

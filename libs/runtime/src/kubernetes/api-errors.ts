/**
 * How Kubernetes API errors are told apart: the HTTP status of an ApiException, the watch's
 * `statusCode`, or a network error without any status (refused, reset, timed out).
 */

/** The HTTP status carried by an error from the client, if any. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code; // ApiException
  if (typeof e.statusCode === 'number') return e.statusCode; // Watch
  return undefined;
}

/** The `reason` of the Status body of an ApiException (AlreadyExists, Invalid, Forbidden...). */
export function reasonOf(error: unknown): string | undefined {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'object' && body !== null) return (body as { reason?: string }).reason;
  if (typeof body !== 'string') return undefined;
  try {
    return (JSON.parse(body) as { reason?: string }).reason;
  } catch {
    return undefined;
  }
}

/** The `message` of the Status body, or the error's own message. */
export function messageOf(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { message?: string }).message;
      if (message) return message;
    } catch {
      // not JSON: fall through
    }
  }
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** The HTTP status and message of an error, for logs and error messages. */
export function describeError(error: unknown): string {
  const code = statusCodeOf(error);
  return code === undefined ? messageOf(error) : `HTTP ${code}: ${messageOf(error)}`;
}

/** Thrown by our own code for a state that a moment later will be different (a race). */
export class TransientError extends Error {
  override name = 'TransientError';
}

const TRANSIENT_ERROR_NAMES = new Set(['TransientError', 'FetchError', 'AbortError', 'TimeoutError']);

function isNetworkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; cause?: unknown };
  if (typeof e.name === 'string' && TRANSIENT_ERROR_NAMES.has(e.name)) return true;
  // Node system errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ENOTFOUND, EAI_AGAIN...
  if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return true;
  return e.cause !== undefined && e.cause !== error && isNetworkError(e.cause);
}

/** Trying again later may work: throttled, server trouble, timeouts, no connection. */
export function isTransient(error: unknown): boolean {
  const status = statusCodeOf(error);
  // 401 too: in-cluster service account tokens rotate, and the client re-reads the token file.
  if (status !== undefined) return status === 401 || status === 408 || status === 429 || status >= 500;
  return isNetworkError(error);
}

/** Seconds from a Retry-After header of a 429/503, if the server sent one. */
export function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string> } | null)?.headers;
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

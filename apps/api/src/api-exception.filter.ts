import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DomainError, ErrorCode } from '@rjs/core';
import { isStoreFull, isStoreUnavailable } from './store-unavailable';

/** The Radix `Status` body of every failed request. */
export interface FailureBody {
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
}

const DOMAIN_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.Invalid]: 422,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.Unavailable]: 503,
};

/** Kubernetes StatusReason names, which the original's Status reuses. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'Timeout',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  431: 'RequestHeaderFieldsTooLarge',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export const STORE_UNAVAILABLE_MESSAGE = 'the status store (Redis) is unavailable; try again';
export const STORE_FULL_MESSAGE =
  'the status store (Redis) is full: it takes no new records until retention removes finished ones or it is given more memory; try again later';
export const INTERNAL_ERROR_MESSAGE = 'an unexpected error occurred; it has been logged';

const failure = (code: number, message: string, reason = REASONS[code] ?? (code < 500 ? 'BadRequest' : 'InternalError')): FailureBody => ({
  status: 'Failure',
  message,
  reason,
  code,
});

/** The Status body for a code and message (for answers given before any route runs). */
export function failureBody(code: number, message: string): FailureBody {
  return failure(code, message);
}

/** What Fastify (or Nest around it) raised before a controller ran: body parsing, unknown routes. */
function describeHttpException(exception: HttpException, request: { method: string; url: string }, maxBodyBytes: number): FailureBody {
  const status = exception.getStatus();
  const cause = exception.cause as { code?: unknown } | undefined;
  switch (cause?.code ?? status) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return failure(400, 'the request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 413:
      return failure(413, `the request body is larger than ${maxBodyBytes} bytes (MAX_BODY_BYTES)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return failure(415, 'the Content-Type of the request body is not supported: send application/json');
    case 404:
      return failure(404, `no route ${request.method} ${request.url.split('?')[0]}`);
    default:
      return failure(status, exception.message);
  }
}

/** Maps any error to its HTTP status and body: the one place where error codes become HTTP. */
export function describeFailure(exception: unknown, request: { method: string; url: string }, maxBodyBytes: number): FailureBody {
  if (exception instanceof DomainError) return failure(DOMAIN_STATUS[exception.code], exception.message, exception.code);
  if (isStoreUnavailable(exception)) return failure(503, STORE_UNAVAILABLE_MESSAGE);
  if (isStoreFull(exception)) return failure(503, STORE_FULL_MESSAGE);
  if (exception instanceof HttpException && exception.getStatus() < 500) return describeHttpException(exception, request, maxBodyBytes);
  return failure(500, INTERNAL_ERROR_MESSAGE);
}

/**
 * Errors Fastify answers itself, before any route or Nest filter runs (a malformed percent-encoding
 * in the URL): the same Status body as every other failure, instead of Fastify's own shape.
 */
export function answerFrameworkError(error: Error & { statusCode?: number }, _request: FastifyRequest, reply: FastifyReply): void {
  const code = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const message = (error as { code?: string }).code === 'FST_ERR_BAD_URL' ? 'the request URL is not valid: it holds a malformed percent-encoding' : error.message;
  void reply.status(code).header('content-type', 'application/json; charset=utf-8').send(failure(code, message));
}

/**
 * Requests that are not valid HTTP (a raw non-ASCII byte in the URL, headers over Node's 16 KiB),
 * which Node rejects before Fastify routes them: the Status body too, and `Connection: close`, for
 * the socket is closed after it (without it a keep-alive client reuses the socket and hangs up).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request line and headers are larger than the server accepts (16 KiB)']
        : [400, 'the request is not valid HTTP (for example a raw non-ASCII character in the URL)'];
  const body = JSON.stringify(failure(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly maxBodyBytes: number,
    /** Hears of each request refused because the status store is full (a metric counts them). */
    private readonly onStoreFull: () => void = () => undefined,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = describeFailure(exception, request, this.maxBodyBytes);
    const context = { method: request.method, url: request.url, code: body.code };
    if (body.message === STORE_FULL_MESSAGE) {
      this.onStoreFull();
      this.logger.warn({ ...context, err: exception }, 'request failed: the status store is full');
    } else if (body.code === 503) this.logger.warn({ ...context, err: exception }, 'request failed: the status store is unavailable');
    else if (body.code >= 500) this.logger.error({ ...context, err: exception }, 'request failed with an unexpected error');
    void reply.status(body.code).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

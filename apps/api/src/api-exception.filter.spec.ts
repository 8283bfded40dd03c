import { type ArgumentsHost, HttpException, NotFoundException } from '@nestjs/common';
import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { badRequest, DomainError, ErrorCode, InvalidRequestError, notFound } from '@rjs/core';
import type { Logger } from 'pino';
import { ApiExceptionFilter, describeFailure, INTERNAL_ERROR_MESSAGE, STORE_FULL_MESSAGE, STORE_UNAVAILABLE_MESSAGE } from './api-exception.filter';

const request = { method: 'POST', url: '/api/v1/jobs?x=1' };
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const fastifyError = (status: number, code: string) => new HttpException('fastify says no', status, { cause: withCode('fastify says no', code) });
const failureOf = (error: unknown) => describeFailure(error, request, 4096);

describe('describeFailure', () => {
  it.each([
    {
      name: 'an invalid request: 422 naming every field',
      error: new InvalidRequestError([
        { path: 'jobScheduleDescriptions[3].timeLimitSeconds', message: 'must be >= 1' },
        { path: 'payload', message: 'must be at most 1048576 bytes' },
      ]),
      body: { status: 'Failure', message: 'jobScheduleDescriptions[3].timeLimitSeconds must be >= 1; payload must be at most 1048576 bytes', reason: 'Invalid', code: 422 },
    },
    { name: 'not found', error: notFound('job x'), body: { status: 'Failure', message: 'job x is not found', reason: 'NotFound', code: 404 } },
    { name: 'a state that forbids it', error: badRequest('job x cannot be stopped: it has already Succeeded'), body: { status: 'Failure', message: 'job x cannot be stopped: it has already Succeeded', reason: 'BadRequest', code: 400 } },
    { name: 'a conflict', error: new DomainError(ErrorCode.Conflict, 'busy'), body: { status: 'Failure', message: 'busy', reason: 'Conflict', code: 409 } },
    { name: 'a domain 503', error: new DomainError(ErrorCode.Unavailable, 'later'), body: { status: 'Failure', message: 'later', reason: 'ServiceUnavailable', code: 503 } },
    { name: 'invalid JSON', error: fastifyError(400, 'FST_ERR_CTP_INVALID_JSON_BODY'), body: { status: 'Failure', message: 'the request body is not valid JSON', reason: 'BadRequest', code: 400 } },
    { name: 'a body over the limit', error: fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE'), body: { status: 'Failure', message: 'the request body is larger than 4096 bytes (MAX_BODY_BYTES)', reason: 'RequestEntityTooLarge', code: 413 } },
    { name: 'an unreadable media type', error: fastifyError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE'), body: expect.objectContaining({ reason: 'UnsupportedMediaType', code: 415 }) },
    { name: 'an unknown route', error: new NotFoundException('Cannot POST /api/v1/jobs?x=1'), body: { status: 'Failure', message: 'no route POST /api/v1/jobs', reason: 'NotFound', code: 404 } },
    { name: 'another client error', error: new HttpException('nope', 405), body: { status: 'Failure', message: 'nope', reason: 'MethodNotAllowed', code: 405 } },
    { name: 'an unexpected error', error: new TypeError('x is undefined'), body: { status: 'Failure', message: INTERNAL_ERROR_MESSAGE, reason: 'InternalError', code: 500 } },
    { name: 'an HTTP 5xx', error: new HttpException('boom', 502), body: { status: 'Failure', message: INTERNAL_ERROR_MESSAGE, reason: 'InternalError', code: 500 } },
    { name: 'something that is no Error', error: 'a string', body: { status: 'Failure', message: INTERNAL_ERROR_MESSAGE, reason: 'InternalError', code: 500 } },
  ])('$name', ({ error, body }) => {
    expect(failureOf(error)).toEqual(body);
  });

  // What ioredis (and BullMQ through it) raises while Redis is down or not ready.
  it.each([
    ['a closed connection', new Error('Connection is closed.')],
    ['no offline queue', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['retries exhausted', new MaxRetriesPerRequestError(1)],
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['Redis loading its data', new ReplyError('LOADING Redis is loading the dataset in memory')],
    ['a read-only replica', new ReplyError("READONLY You can't write against a read only replica.")],
    ['a wrapped cause', new Error('enqueue failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') })],
    ['an aggregate', new AggregateError([new Error('x'), new Error('Connection is closed.')])],
  ])('%s: 503', (_name, error) => {
    expect(failureOf(error)).toEqual({ status: 'Failure', message: STORE_UNAVAILABLE_MESSAGE, reason: 'ServiceUnavailable', code: 503 });
  });

  // What Redis answers when maxmemory is reached (noeviction), to a command or to a script's first write.
  it.each([
    ['a command', new ReplyError("OOM command not allowed when used memory > 'maxmemory'.")],
    ['a script', new ReplyError("OOM command not allowed when used memory > 'maxmemory'. script: 5989b23f, on @user_script:1.")],
    ['a wrapped cause', new Error('addBulk failed', { cause: new ReplyError("OOM command not allowed when used memory > 'maxmemory'.") })],
  ])('a full Redis, %s: 503 saying the store is full', (_name, error) => {
    expect(failureOf(error)).toEqual({ status: 'Failure', message: STORE_FULL_MESSAGE, reason: 'ServiceUnavailable', code: 503 });
  });

  it.each([
    ['a script error', new ReplyError('ERR Error running script')],
    ['a wrong type', new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')],
  ])('%s is a server fault, not an outage: 500', (_name, error) => {
    expect(failureOf(error).code).toBe(500);
  });
});

describe('ApiExceptionFilter', () => {
  function run(error: unknown, onStoreFull?: () => void) {
    const sent: { code?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
    const reply = {
      status: (code: number) => ((sent.code = code), reply),
      header: (name: string, value: string) => ((sent.headers[name] = value), reply),
      send: (body: unknown) => ((sent.body = body), reply),
    };
    const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ArgumentsHost;
    const logger = { warn: jest.fn(), error: jest.fn() };
    new ApiExceptionFilter(logger as unknown as Logger, 4096, onStoreFull).catch(error, host);
    return { sent, logger };
  }

  it('answers with the status code and the JSON Status body', () => {
    const { sent, logger } = run(notFound('job x'));
    expect(sent).toEqual({ code: 404, headers: { 'content-type': 'application/json; charset=utf-8' }, body: failureOf(notFound('job x')) });
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('logs an unexpected error with its details, which the answer does not carry', () => {
    const error = new TypeError('secret internals');
    const { sent, logger } = run(error);
    expect(sent.body).toEqual({ status: 'Failure', message: INTERNAL_ERROR_MESSAGE, reason: 'InternalError', code: 500 });
    expect(JSON.stringify(sent.body)).not.toContain('secret internals');
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ err: error, method: 'POST', url: '/api/v1/jobs?x=1', code: 500 }), expect.any(String));
  });

  it('reports a full Redis, which it logs as a warning', () => {
    const onStoreFull = jest.fn();
    const { sent, logger } = run(new ReplyError("OOM command not allowed when used memory > 'maxmemory'."), onStoreFull);
    expect(sent.code).toBe(503);
    expect(onStoreFull).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ code: 503 }), 'request failed: the status store is full');
    run(new Error('Connection is closed.'), onStoreFull);
    expect(onStoreFull).toHaveBeenCalledTimes(1);
  });

  it('logs a Redis outage as a warning', () => {
    const { sent, logger } = run(new Error('Connection is closed.'));
    expect(sent.code).toBe(503);
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ code: 503 }), 'request failed: the status store is unavailable');
    expect(logger.error).not.toHaveBeenCalled();
  });
});

import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { StatusDto } from './status-responses.dto';

const MEANING: Record<number, string> = {
  400: 'Bad request: not valid JSON, or the state does not allow it (the message says why)',
  404: 'Not found',
  409: 'Conflict: the state does not allow it now (a job that is Stopping cannot be restarted until it is Stopped)',
  413: 'The body is larger than MAX_BODY_BYTES',
  422: 'Invalid: the message names every offending field',
  500: 'Unexpected error',
  503: 'The status store (Redis) is unavailable, or full (the message says which); try again',
};

/** Documents the failure answers of a route; every one has the Status body. */
export const FailureResponses = (...codes: number[]) =>
  applyDecorators(...[...codes, 500].map((status) => ApiResponse({ status, type: StatusDto, description: MEANING[status] })));

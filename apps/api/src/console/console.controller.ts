import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { AppConfig } from '@rjs/config';
import { type Activity, type BatchSummary, type Clock, ConsoleQueries, encodeBefore, type JobDetails, parseSummaryQuery } from '@rjs/core';
import { APP_CONFIG, CLOCK } from '@rjs/platform';
import { FailureResponses } from '../dto/failure-responses';
import { consoleSignedIn } from './console-http';

export interface ConsoleSession {
  /** Actions, payloads and variable values are offered only then. */
  signedIn: boolean;
  component: string;
}

const GUARDED = 'Behind the console\'s protection: with BULL_BOARD_USER and BULL_BOARD_PASSWORD set, 401 without them (HTTP Basic).';
const Unauthorized = () => ApiResponse({ status: 401, description: 'Credentials are set and the request does not carry them' });

/**
 * The console's own reads under /console/api (behind the console's sign-in, see ConsoleHttp): what
 * the Radix API has no route for. Thin: parse, call ConsoleQueries, map the result.
 */
@ApiTags('console')
@Controller('console/api')
export class ConsoleController {
  constructor(
    private readonly queries: ConsoleQueries,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('session')
  @ApiOperation({ operationId: 'getConsoleSession', summary: 'Whether the console is signed in (credentials set) and the job component', description: GUARDED })
  @ApiOkResponse({ schema: { type: 'object', properties: { signedIn: { type: 'boolean' }, component: { type: 'string' } } } })
  @Unauthorized()
  session(): ConsoleSession {
    return { signedIn: consoleSignedIn(this.config), component: this.config.component.name };
  }

  @Get('batches')
  @ApiOperation({
    operationId: 'getConsoleBatches',
    summary: 'A page of batches (or single jobs), newest first, each summed up with its job counts by status',
    description: `${GUARDED} A filtered page stops after looking at 2,000 batches or batches of 100,000 jobs, and gives \`next\`.`,
  })
  @ApiQuery({ name: 'kind', required: false, schema: { type: 'string', enum: ['batches', 'singles'], default: 'batches' } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'before', required: false, schema: { type: 'string' }, description: 'The `next` of the previous page' })
  @ApiQuery({ name: 'status', required: false, schema: { type: 'string' }, description: 'Batch statuses, comma-separated' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } }, next: { type: 'string' } } } })
  @Unauthorized()
  @FailureResponses(422, 503)
  async batches(@Query() query: Record<string, unknown>): Promise<{ items: BatchSummary[]; next?: string }> {
    const page = await this.queries.summaries(parseSummaryQuery(query));
    return { items: page.items, ...(page.next ? { next: encodeBefore(page.next) } : {}) };
  }

  @Get('jobs/:jobName')
  @ApiOperation({
    operationId: 'getConsoleJob',
    summary: 'A job (single or of a batch) with the options it runs with (its stored spec)',
    description: `${GUARDED} Without credentials set, variable values are "hidden" and the payload is left out.`,
  })
  @ApiParam({ name: 'jobName', description: 'The name of the job' })
  @ApiOkResponse({ schema: { type: 'object', properties: { job: { type: 'object' }, batchName: { type: 'string' }, batchType: { type: 'string' }, options: { type: 'object' } } } })
  @Unauthorized()
  @FailureResponses(404, 503)
  job(@Param('jobName') jobName: string): Promise<JobDetails> {
    return this.queries.jobDetails(jobName, consoleSignedIn(this.config));
  }

  @Get('activity')
  @ApiOperation({ operationId: 'getConsoleActivity', summary: 'Jobs that ended per minute over the last hour, by final status', description: GUARDED })
  @ApiOkResponse({ schema: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, minutes: { type: 'array', items: { type: 'object' } } } } })
  @Unauthorized()
  @FailureResponses(503)
  activity(): Promise<Activity> {
    return this.queries.activity(this.clock.now());
  }
}

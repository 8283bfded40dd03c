import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiSchema, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, JobQueries, type ListRequest, MAX_PAGE_SIZE, type QueueEntryView } from '@rjs/core';
import { FailureResponses } from './dto/failure-responses';
import { encodeCursor } from './lists/list-cursor';
import { NEXT_PAGE_LINK } from './lists/list-docs';
import { ListQueryPipe } from './lists/list-query.pipe';
import { nextPageUrl } from './lists/list-responder';
import { QUEUE_LIST } from './lists/list-route';

/** A page is never unbounded here: 100,000 waiting jobs must stay cheap to read. */
export const DEFAULT_QUEUE_PAGE = 100;

@ApiSchema({ name: 'QueueEntry', description: 'Extension: a Waiting job and its place in the launch order.' })
export class QueueEntryDto {
  @ApiProperty({ example: 'batch-compute-20230220101417-idwsxncs-rkwaibwe' })
  name!: string;
  @ApiPropertyOptional({ description: 'The batch of a job that belongs to a batch.' })
  batchName?: string;
  @ApiPropertyOptional({ example: 'job1' })
  jobId?: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 1000 })
  priority!: number;
  @ApiProperty({ type: 'string', format: 'date-time' })
  created!: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, description: '1 launches next.' })
  position!: number;
}

/** GET /api/v1/queue (an extension): the Waiting jobs in the order they will launch. */
@ApiTags('queue')
@Controller('api/v1/queue')
export class QueueController {
  constructor(private readonly queries: JobQueries) {}

  @Get()
  @ApiOperation({
    operationId: 'getQueue',
    summary: `Extension: the Waiting jobs in launch order (priority, higher first, then arrival); ${DEFAULT_QUEUE_PAGE} per page unless limit says otherwise (at most ${MAX_PAGE_SIZE})`,
  })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_QUEUE_PAGE } })
  @ApiQuery({ name: 'continue', required: false, schema: { type: 'string' }, description: 'The cursor of the Link header (rel="next") of the previous page.' })
  @ApiOkResponse({ type: [QueueEntryDto], headers: NEXT_PAGE_LINK })
  @FailureResponses(422, 503)
  async list(
    @Query(new ListQueryPipe(QUEUE_LIST)) query: ListRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueueEntryView[]> {
    if (query.filter) throw new InvalidRequestError([{ path: query.filter.jobId !== undefined ? 'jobId' : 'status', message: 'is not a parameter of the queue: it lists Waiting jobs, paged by limit and continue' }]);
    const page = await this.queries.listQueue(query.limit ?? DEFAULT_QUEUE_PAGE, query.after);
    if (page.next) void reply.header('link', `<${nextPageUrl(request.url, encodeCursor(QUEUE_LIST, page.next))}>; rel="next"`);
    return page.items;
  }
}

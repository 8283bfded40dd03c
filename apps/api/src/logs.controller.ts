import type { Readable } from 'node:stream';
import { applyDecorators, type BeforeApplicationShutdown, Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { JobLogReader, parseLogQuery } from '@rjs/core';
import { FailureResponses } from './dto/failure-responses';

const JOB_NAME = { name: 'jobName', description: 'The name of the job', example: 'batch-compute-20230220101417-idwsxncs-rkwaibwe' };
const BATCH_NAME = { name: 'batchName', description: 'The name of the batch', example: 'batch-compute-20220302170647-6ytkltvk' };
const BATCH_JOB_NAME = { ...JOB_NAME, description: 'The full name of a job of the batch, or its last part' };

/** The query parameters and the text/plain answer, the same on both routes. */
const LogsAnswer = () =>
  applyDecorators(
    ApiQuery({
      name: 'attempt',
      required: false,
      schema: { type: 'integer', minimum: 1 },
      description: 'Which attempt, 1-based, in the order of podStatuses; default the latest',
    }),
    ApiQuery({ name: 'tailLines', required: false, schema: { type: 'integer', minimum: 0 }, description: 'Only the last this many lines' }),
    ApiQuery({
      name: 'follow',
      required: false,
      schema: { type: 'boolean', default: false },
      description: 'Keep the answer open and send new lines as they are printed; it ends when the attempt ends',
    }),
    ApiOkResponse({ description: 'What the attempt printed (stdout and stderr), streamed', content: { 'text/plain': { schema: { type: 'string' } } } }),
    FailureResponses(404, 422, 503),
  );

/**
 * What jobs printed: /api/v1/jobs/{jobName}/logs and /api/v1/batches/{batchName}/jobs/{jobName}/logs.
 * The answer is streamed as the runtime gives it, never held whole.
 */
@ApiTags('logs')
@Controller('api/v1')
export class LogsController implements BeforeApplicationShutdown {
  /** Answers still being sent; a follow lasts as long as its attempt. */
  private readonly streams = new Set<Readable>();

  constructor(private readonly reader: JobLogReader) {}

  @Get('jobs/:jobName/logs')
  @ApiOperation({ operationId: 'getJobLogs', summary: 'Get the output of a job (single or of a batch): its latest attempt, or the one asked for' })
  @ApiParam(JOB_NAME)
  @LogsAnswer()
  async jobLogs(@Param('jobName') jobName: string, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.reader.openJobLogs(jobName, parseLogQuery(query)));
  }

  @Get('batches/:batchName/jobs/:jobName/logs')
  @ApiOperation({ operationId: 'getBatchJobLogs', summary: 'Get the output of a job of a batch: its latest attempt, or the one asked for' })
  @ApiParam(BATCH_NAME)
  @ApiParam(BATCH_JOB_NAME)
  @LogsAnswer()
  async batchJobLogs(
    @Param('batchName') batchName: string,
    @Param('jobName') jobName: string,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.send(reply, await this.reader.openBatchJobLogs(batchName, jobName, parseLogQuery(query)));
  }

  /**
   * Ends the answers still open before the HTTP server closes, which would otherwise wait for every
   * follow to end. The client sees its answer cut, not ended, and may ask again.
   */
  beforeApplicationShutdown(): void {
    for (const stream of this.streams) stream.destroy();
  }

  /** Fastify pipes the stream with backpressure, and cuts the answer if the stream fails midway. */
  private send(reply: FastifyReply, stream: Readable): void {
    // nosniff: a job may print HTML, which a browser must not run as this origin's page.
    void reply.status(200).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff');
    // Fastify would read a HEAD answer's stream to its end (a follow: until the attempt ends) and drop it.
    if (reply.request.method === 'HEAD') {
      stream.destroy();
      return void reply.send();
    }
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    void reply.send(stream);
  }
}

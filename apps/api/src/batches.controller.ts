import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type BatchScheduleDescription,
  type BatchStatusView,
  JobAcceptor,
  JobQueries,
  JobRemover,
  type JobStatusView,
  JobStopper,
  type ListRequest,
} from '@rjs/core';
import { BatchScheduleDescriptionDto, commonBatchShape } from '@rjs/contracts';
import { FailureResponses } from './dto/failure-responses';
import { BatchStatusDto, JobStatusDto, StatusDto } from './dto/status-responses.dto';
import { batchAnswerText, batchListText } from './lists/json-text';
import { ListParameters, NEXT_PAGE_LINK } from './lists/list-docs';
import { ListQueryPipe } from './lists/list-query.pipe';
import { ListResponder } from './lists/list-responder';
import { BATCH_JOB_LIST, BATCH_LIST } from './lists/list-route';
import { IDEMPOTENCY_KEY_HEADER, idempotentRequest } from './idempotency-key';
import { RequestBodyPipe } from './request-body.pipe';
import { success, type SuccessBody } from './success-status';

const BATCH_NAME = { name: 'batchName', description: 'The name of the batch', example: 'batch-compute-20220302170647-6ytkltvk' };
const JOB_NAME = { name: 'jobName', description: 'The full name of a job of the batch, or its last part; matched without regard to case', example: 'batch-compute-20220302170647-6ytkltvk-tlugvgsx' };

/** Batches of jobs: /api/v1/batches. Thin: validate, call one use case, map the result. */
@ApiTags('batches')
@Controller('api/v1/batches')
export class BatchesController {
  constructor(
    private readonly acceptor: JobAcceptor,
    private readonly queries: JobQueries,
    private readonly stopper: JobStopper,
    private readonly remover: JobRemover,
    private readonly responder: ListResponder,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ operationId: 'createBatch', summary: 'Create a batch of jobs' })
  @ApiBody({ type: BatchScheduleDescriptionDto })
  @ApiOkResponse({ type: BatchStatusDto, description: 'The state of the new batch (Waiting) with its jobs' })
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @FailureResponses(400, 409, 413, 422, 503)
  async create(@Body(new RequestBodyPipe({ dto: BatchScheduleDescriptionDto, commonShape: commonBatchShape })) body: BatchScheduleDescription, @Req() request: FastifyRequest): Promise<BatchStatusView> {
    const { batch, jobs } = await this.acceptor.acceptBatch(body, idempotentRequest(request, 'POST /api/v1/batches'));
    return this.queries.viewOfBatch(batch, jobs);
  }

  // Served at /batches/ too, like the original (see configureHttp).
  @Get()
  @ApiOperation({ operationId: 'getBatches', summary: 'Get the states of all batches with their jobs, oldest first; optionally paged and filtered' })
  @ListParameters(BATCH_LIST)
  @ApiOkResponse({ type: [BatchStatusDto], headers: NEXT_PAGE_LINK })
  @FailureResponses(422, 503)
  async list(
    @Query(new ListQueryPipe(BATCH_LIST)) query: ListRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | AsyncIterable<string>> {
    const answer = await this.queries.listBatches(query);
    return this.responder.send(request, reply, BATCH_LIST, batchListText(answer.items), answer.next);
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({ operationId: 'stopAllBatches', summary: 'Stop every job of every batch that has not completed' })
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(503)
  async stopAll(): Promise<SuccessBody> {
    await this.stopper.stopAllBatches();
    return success('all batches successfully stopped');
  }

  @Get(':batchName')
  @ApiOperation({ operationId: 'getBatch', summary: 'Get the state of a batch and of its jobs; the jobs optionally paged and filtered' })
  @ApiParam(BATCH_NAME)
  @ListParameters(BATCH_JOB_LIST)
  @ApiOkResponse({ type: BatchStatusDto, headers: NEXT_PAGE_LINK })
  @FailureResponses(404, 422, 503)
  async get(
    @Param('batchName') batchName: string,
    @Query(new ListQueryPipe(BATCH_JOB_LIST)) query: ListRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | AsyncIterable<string>> {
    const answer = await this.queries.getBatch(batchName, query);
    return this.responder.send(request, reply, BATCH_JOB_LIST, batchAnswerText(answer), answer.next);
  }

  @Delete(':batchName')
  @ApiOperation({ operationId: 'deleteBatch', summary: 'Delete a batch and its jobs' })
  @ApiParam(BATCH_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(404, 503)
  async delete(@Param('batchName') batchName: string): Promise<SuccessBody> {
    await this.remover.deleteBatch(batchName);
    return success(`batch ${batchName} successfully deleted`);
  }

  @Post(':batchName/stop')
  @HttpCode(200)
  @ApiOperation({ operationId: 'stopBatch', summary: 'Stop every job of a batch that has not completed' })
  @ApiParam(BATCH_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(400, 404, 503)
  async stop(@Param('batchName') batchName: string): Promise<SuccessBody> {
    await this.stopper.stopBatch(batchName);
    return success(`batch ${batchName} successfully stopped`);
  }

  @Get(':batchName/jobs/:jobName')
  @ApiOperation({ operationId: 'getBatchJob', summary: 'Get the state of a job of a batch' })
  @ApiParam(BATCH_NAME)
  @ApiParam(JOB_NAME)
  @ApiOkResponse({ type: JobStatusDto })
  @FailureResponses(404, 503)
  getJob(@Param('batchName') batchName: string, @Param('jobName') jobName: string): Promise<JobStatusView> {
    return this.queries.getBatchJob(batchName, jobName);
  }

  @Post(':batchName/jobs/:jobName/stop')
  @HttpCode(200)
  @ApiOperation({ operationId: 'stopBatchJob', summary: 'Stop a job of a batch' })
  @ApiParam(BATCH_NAME)
  @ApiParam(JOB_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(400, 404, 503)
  async stopJob(@Param('batchName') batchName: string, @Param('jobName') jobName: string): Promise<SuccessBody> {
    const fullName = await this.stopper.stopBatchJob(batchName, jobName);
    return success(`job ${fullName} in the batch ${batchName} successfully stopped`);
  }
}

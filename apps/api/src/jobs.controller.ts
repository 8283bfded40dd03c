import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JobAcceptor, type JobScheduleDescription, JobQueries, JobRemover, type JobStatusView, JobStopper, type ListRequest, toJobView } from '@rjs/core';
import { JobScheduleDescriptionDto, commonJobShape } from '@rjs/contracts';
import { FailureResponses } from './dto/failure-responses';
import { JobStatusDto, StatusDto } from './dto/status-responses.dto';
import { jobListText } from './lists/json-text';
import { ListParameters, NEXT_PAGE_LINK } from './lists/list-docs';
import { ListQueryPipe } from './lists/list-query.pipe';
import { ListResponder } from './lists/list-responder';
import { JOB_LIST } from './lists/list-route';
import { IDEMPOTENCY_KEY_HEADER, idempotentRequest } from './idempotency-key';
import { RequestBodyPipe } from './request-body.pipe';
import { success, type SuccessBody } from './success-status';

const JOB_NAME = { name: 'jobName', description: 'The name of the job', example: 'batch-compute-20230220101417-idwsxncs-rkwaibwe' };

/** Single jobs: /api/v1/jobs. Thin: validate, call one use case, map the result. */
@ApiTags('jobs')
@Controller('api/v1/jobs')
export class JobsController {
  constructor(
    private readonly acceptor: JobAcceptor,
    private readonly queries: JobQueries,
    private readonly stopper: JobStopper,
    private readonly remover: JobRemover,
    private readonly responder: ListResponder,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ operationId: 'createJob', summary: 'Create a job; an empty body creates one with all defaults' })
  @ApiBody({ type: JobScheduleDescriptionDto, required: false })
  @ApiOkResponse({ type: JobStatusDto, description: 'The state of the new job (Waiting)' })
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @FailureResponses(400, 409, 413, 422, 503)
  async create(
    @Body(new RequestBodyPipe({ dto: JobScheduleDescriptionDto, commonShape: commonJobShape, whenEmpty: {} })) body: JobScheduleDescription,
    @Req() request: FastifyRequest,
  ): Promise<JobStatusView> {
    const { jobs } = await this.acceptor.acceptJob(body, idempotentRequest(request, 'POST /api/v1/jobs'));
    return toJobView(jobs[0]);
  }

  // Served at /jobs/ too, like the original (see configureHttp).
  @Get()
  @ApiOperation({ operationId: 'getJobs', summary: 'Get the states of all single jobs (not those of batches), oldest first; optionally paged and filtered' })
  @ListParameters(JOB_LIST)
  @ApiOkResponse({ type: [JobStatusDto], headers: NEXT_PAGE_LINK })
  @FailureResponses(422, 503)
  async list(
    @Query(new ListQueryPipe(JOB_LIST)) query: ListRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | AsyncIterable<string>> {
    const answer = await this.queries.listJobs(query);
    return this.responder.send(request, reply, JOB_LIST, jobListText(answer.items), answer.next);
  }

  // Declared before ':jobName/stop' for readability; the router prefers the static path anyway.
  @Post('stop')
  @HttpCode(200)
  @ApiOperation({ operationId: 'stopAllJobs', summary: 'Stop every single job that has not completed' })
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(503)
  async stopAll(): Promise<SuccessBody> {
    await this.stopper.stopAllSingleJobs();
    return success('all jobs successfully stopped');
  }

  @Get(':jobName')
  @ApiOperation({ operationId: 'getJob', summary: 'Get the state of a single job or of a job of a batch' })
  @ApiParam(JOB_NAME)
  @ApiOkResponse({ type: JobStatusDto })
  @FailureResponses(404, 503)
  get(@Param('jobName') jobName: string): Promise<JobStatusView> {
    return this.queries.getJob(jobName);
  }

  @Delete(':jobName')
  @ApiOperation({ operationId: 'deleteJob', summary: 'Delete a single job (a job of a batch goes with its batch)' })
  @ApiParam(JOB_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(400, 404, 503)
  async delete(@Param('jobName') jobName: string): Promise<SuccessBody> {
    await this.remover.deleteSingleJob(jobName);
    return success(`job ${jobName} successfully deleted`);
  }

  @Post(':jobName/stop')
  @HttpCode(200)
  @ApiOperation({ operationId: 'stopJob', summary: 'Stop a single job' })
  @ApiParam(JOB_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(400, 404, 503)
  async stop(@Param('jobName') jobName: string): Promise<SuccessBody> {
    await this.stopper.stopSingleJob(jobName);
    return success(`job ${jobName} successfully stopped`);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { JobAcceptor, type JobScheduleDescription, JobQueries, JobRemover, type JobStatusView, JobStopper, toJobView } from '@rjs/core';
import { JobScheduleDescriptionDto } from '@rjs/contracts';
import { FailureResponses } from './dto/failure-responses';
import { JobStatusDto, StatusDto } from './dto/status-responses.dto';
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
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ operationId: 'createJob', summary: 'Create a job; an empty body creates one with all defaults' })
  @ApiBody({ type: JobScheduleDescriptionDto, required: false })
  @ApiOkResponse({ type: JobStatusDto, description: 'The state of the new job (Waiting)' })
  @FailureResponses(400, 413, 422, 503)
  async create(@Body(new RequestBodyPipe({ dto: JobScheduleDescriptionDto, whenEmpty: {} })) body: JobScheduleDescription): Promise<JobStatusView> {
    const { jobs } = await this.acceptor.acceptJob(body);
    return toJobView(jobs[0]);
  }

  // Served at /jobs/ too, like the original (see configureHttp).
  @Get()
  @ApiOperation({ operationId: 'getJobs', summary: 'Get the states of all single jobs (not those of batches)' })
  @ApiOkResponse({ type: [JobStatusDto] })
  @FailureResponses(503)
  list(): Promise<JobStatusView[]> {
    return this.queries.listJobs();
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

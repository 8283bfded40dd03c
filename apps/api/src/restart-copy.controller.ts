import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type BatchStatusView, type CopyOptions, JobCopier, JobQueries, JobRestarter, type JobStatusView, toJobView } from '@rjs/core';
import { CopyRequestDto } from '@rjs/contracts';
import { FailureResponses } from './dto/failure-responses';
import { BatchStatusDto, JobStatusDto, StatusDto } from './dto/status-responses.dto';
import { RequestBodyPipe } from './request-body.pipe';
import { success, type SuccessBody } from './success-status';

const JOB_NAME = { name: 'jobName', description: 'The name of the job', example: 'batch-compute-20230220101417-idwsxncs-rkwaibwe' };
const BATCH_NAME = { name: 'batchName', description: 'The name of the batch', example: 'batch-compute-20220302170647-6ytkltvk' };
const BATCH_JOB_NAME = { name: 'jobName', description: 'The full name of a job of the batch, or its last part', example: 'batch-compute-20220302170647-6ytkltvk-tlugvgsx' };

const RESTART =
  'A job that has not finished is stopped, and the job runs again under the same name from its stored spec and payload: ' +
  'status Waiting, `restart` set to now, earlier attempts kept in podStatuses. A job that is Stopping cannot be restarted (409).';
const COPY = 'A new one, with new names, of the stored specs and payloads; `imageTagName` replaces the image tag of every job. Answers as a create does.';
const copyBody = new RequestBodyPipe<CopyOptions>({ dto: CopyRequestDto, whenEmpty: {} });

/**
 * Restart and copy of single jobs and batches (/api/v1/jobs/... and /api/v1/batches/...).
 * Thin: validate, call one use case, map the result.
 */
@Controller('api/v1')
export class RestartCopyController {
  constructor(
    private readonly restarter: JobRestarter,
    private readonly copier: JobCopier,
    private readonly queries: JobQueries,
  ) {}

  @Post('jobs/:jobName/restart')
  @HttpCode(200)
  @ApiTags('jobs')
  @ApiOperation({ operationId: 'restartJob', summary: 'Restart a single job', description: RESTART })
  @ApiParam(JOB_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(400, 404, 409, 503)
  async restartJob(@Param('jobName') jobName: string): Promise<SuccessBody> {
    await this.restarter.restartSingleJob(jobName);
    return success(`job ${jobName} successfully restarted`);
  }

  @Post('jobs/:jobName/copy')
  @HttpCode(200)
  @ApiTags('jobs')
  @ApiOperation({ operationId: 'copyJob', summary: 'Copy a single job as a new job', description: COPY })
  @ApiParam(JOB_NAME)
  @ApiBody({ type: CopyRequestDto, required: false })
  @ApiOkResponse({ type: JobStatusDto, description: 'The state of the new job (Waiting)' })
  @FailureResponses(400, 404, 413, 422, 503)
  async copyJob(@Param('jobName') jobName: string, @Body(copyBody) body: CopyOptions): Promise<JobStatusView> {
    const { jobs } = await this.copier.copySingleJob(jobName, body);
    return toJobView(jobs[0]);
  }

  @Post('batches/:batchName/restart')
  @HttpCode(200)
  @ApiTags('batches')
  @ApiOperation({ operationId: 'restartBatch', summary: 'Restart every job of a batch', description: RESTART })
  @ApiParam(BATCH_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(404, 409, 503)
  async restartBatch(@Param('batchName') batchName: string): Promise<SuccessBody> {
    await this.restarter.restartBatch(batchName);
    return success(`batch ${batchName} successfully restarted`);
  }

  @Post('batches/:batchName/copy')
  @HttpCode(200)
  @ApiTags('batches')
  @ApiOperation({ operationId: 'copyBatch', summary: 'Copy a batch as a new batch', description: COPY })
  @ApiParam(BATCH_NAME)
  @ApiBody({ type: CopyRequestDto, required: false })
  @ApiOkResponse({ type: BatchStatusDto, description: 'The state of the new batch (Waiting) with its jobs' })
  @FailureResponses(400, 404, 413, 422, 503)
  async copyBatch(@Param('batchName') batchName: string, @Body(copyBody) body: CopyOptions): Promise<BatchStatusView> {
    const { batch, jobs } = await this.copier.copyBatch(batchName, body);
    return this.queries.viewOfBatch(batch, jobs);
  }

  @Post('batches/:batchName/jobs/:jobName/restart')
  @HttpCode(200)
  @ApiTags('batches')
  @ApiOperation({ operationId: 'restartBatchJob', summary: 'Restart a job of a batch', description: RESTART })
  @ApiParam(BATCH_NAME)
  @ApiParam(BATCH_JOB_NAME)
  @ApiOkResponse({ type: StatusDto })
  @FailureResponses(404, 409, 503)
  async restartBatchJob(@Param('batchName') batchName: string, @Param('jobName') jobName: string): Promise<SuccessBody> {
    const fullName = await this.restarter.restartBatchJob(batchName, jobName);
    return success(`job ${fullName} in the batch ${batchName} successfully restarted`);
  }
}

import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { BatchStatus, ReplicaStatus } from '@rjs/core';

/**
 * Response models for the OpenAPI document, with the field names and types of the original's
 * definitions (JobStatus, BatchStatus, PodStatus, Status; no DeploymentName). The values come from
 * @rjs/core's views; these classes only describe them.
 */

/** The original's enum, for jobs and batches alike. */
const STATUSES = Object.values(BatchStatus);
/** Fields of the original's models that this scheduler leaves unset; kept so generated clients still fit. */
const UNSET = 'Not set by this scheduler; kept from the original model.';
const DATE_TIME = { type: String, format: 'date-time', description: 'RFC3339 in UTC; absent when not set.' } as const;

@ApiSchema({ name: 'ReplicaStatus' })
export class ReplicaStatusDto {
  @ApiProperty({ enum: Object.values(ReplicaStatus), example: 'Running' })
  status!: string;
}

@ApiSchema({ name: 'PodStatus', description: 'One attempt of a job: a pod in Kubernetes, a process locally.' })
export class PodStatusDto {
  @ApiProperty({ example: 'batch-compute-20230220101417-idwsxncs-rkwaibwe-5xj2k' })
  name!: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: 'The index of the attempt.' })
  podIndex?: number;
  @ApiPropertyOptional({ ...DATE_TIME })
  created?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the attempt started.' })
  startTime?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When its container started.' })
  containerStarted?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the attempt ended.' })
  endTime?: string;
  @ApiPropertyOptional({ type: () => ReplicaStatusDto })
  replicaStatus?: ReplicaStatusDto;
  @ApiPropertyOptional()
  image?: string;
  @ApiPropertyOptional()
  imageId?: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int32' })
  exitCode?: number;
  @ApiPropertyOptional({ description: 'Why the attempt ended, e.g. OOMKilled, DeadlineExceeded.' })
  reason?: string;
  @ApiPropertyOptional()
  statusMessage?: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int32' })
  restartCount?: number;
}

@ApiSchema({ name: 'JobStatus', description: 'The state of one job.' })
export class JobStatusDto {
  @ApiProperty({ example: 'batch-compute-20230220101417-idwsxncs-rkwaibwe' })
  name!: string;
  @ApiPropertyOptional({ description: 'The jobId of the request.', example: 'job1' })
  jobId?: string;
  @ApiPropertyOptional({ description: 'The batch of a job that belongs to a batch.' })
  batchName?: string;
  @ApiPropertyOptional({ description: UNSET })
  batchId?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the request was accepted.' })
  created?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the container first ran.' })
  started?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the job reached Succeeded, Failed or Stopped.' })
  ended?: string;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the status last changed.' })
  updated?: string;
  @ApiProperty({ enum: STATUSES, example: 'Waiting', description: 'Completed is in the original enum; a job never has it.' })
  status!: string;
  @ApiPropertyOptional({ description: 'Why the job failed or stopped, in words.' })
  message?: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int32', description: 'How many attempts failed, over every run of the job.' })
  failed?: number;
  @ApiPropertyOptional({ ...DATE_TIME, description: 'When the job was last restarted; absent when it never was.' })
  restart?: string;
  @ApiPropertyOptional({ type: () => [PodStatusDto], description: 'Every attempt, those of earlier runs (before a restart) first.' })
  podStatuses?: PodStatusDto[];
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 0, maximum: 1000, description: 'Extension: the priority, when one was set on the job, its batch defaults or the job component.' })
  priority?: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 1,
    description: 'Extension: a Waiting job\'s place in the launch order (1 launches next); on GET of one job only.',
  })
  queuePosition?: number;
}

@ApiSchema({ name: 'BatchStatus', description: 'The state of a batch; its status is derived from its jobs.' })
export class BatchStatusDto {
  @ApiProperty({ example: 'batch-compute-20220302170647-6ytkltvk' })
  name!: string;
  @ApiPropertyOptional({ example: 'batch-compute-20220302170647-6ytkltvk' })
  batchName?: string;
  @ApiPropertyOptional({ example: 'batch-id-1' })
  batchId?: string;
  @ApiPropertyOptional({ enum: ['batch', 'job'], example: 'batch' })
  batchType?: string;
  @ApiPropertyOptional({ description: UNSET })
  jobId?: string;
  @ApiPropertyOptional({ ...DATE_TIME })
  created?: string;
  @ApiPropertyOptional({ ...DATE_TIME })
  started?: string;
  @ApiPropertyOptional({ ...DATE_TIME })
  ended?: string;
  @ApiPropertyOptional({ ...DATE_TIME })
  updated?: string;
  @ApiProperty({
    enum: STATUSES,
    example: 'Running',
    description: "From the jobs: the first matching rule of the job component's batchStatusRules, else the built-in rules (which never give Active or Completed).",
  })
  status!: string;
  @ApiPropertyOptional({ description: UNSET })
  message?: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int32', description: UNSET })
  failed?: number;
  @ApiPropertyOptional({ type: String, description: UNSET })
  restart?: string;
  @ApiPropertyOptional({ type: () => [JobStatusDto], description: 'The jobs of the batch (single batch requests only).' })
  jobStatuses?: JobStatusDto[];
  @ApiPropertyOptional({ type: () => [PodStatusDto], description: UNSET })
  podStatuses?: PodStatusDto[];
}

@ApiSchema({ name: 'Status', description: 'The answer of calls that return no other object, and of every failed call.' })
export class StatusDto {
  @ApiProperty({ enum: ['Success', 'Failure'], example: 'Failure' })
  status!: string;
  @ApiProperty({ example: 'job job123 is not found' })
  message!: string;
  @ApiPropertyOptional({ description: 'Why it failed: BadRequest, NotFound, Invalid, Conflict, ServiceUnavailable...', example: 'NotFound' })
  reason?: string;
  @ApiProperty({ type: 'integer', format: 'int64', example: 404 })
  code!: number;
}

@ApiSchema({
  name: 'Notification',
  description:
    'A webhook body and an event of GET /api/v1/events: the BatchStatus of the batch (a single job as its batch of type job) with the event and only the jobs it is about.',
})
export class NotificationDto extends BatchStatusDto {
  @ApiProperty({ enum: ['Create', 'Update', 'Delete'], example: 'Update' })
  event!: string;
  @ApiProperty({ type: () => [JobStatusDto], description: 'Only the jobs this event is about, as the change left them; a job that changed twice in one webhook delivery is in it twice, in order.' })
  declare jobStatuses: JobStatusDto[];
}

import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import {
  anyString,
  IsArrayOfSize,
  IsExitCodes,
  IsGpuCount,
  IsIntegerIn,
  IsMatching,
  IsOneOf,
  IsPlainObject,
  IsStringArray,
  IsStringMap,
  IsText,
  quantity,
  resourceName,
  variableName,
} from './rules';

/**
 * Request bodies, mirroring the original's OpenAPI definitions (JobScheduleDescription,
 * RadixJobComponentConfig, BatchScheduleDescription) at every level. Fields not declared here are
 * dropped (the docs' own examples put fields inside `resources`); declared ones must be valid.
 * `null` counts as not set; so do `node.gpuCount: ""` and, for a variable, a null value (`""`). RadixJobComponentConfig also checks the job options of the job
 * component in radixconfig.yaml (libs/config), so a file and a request obey the same rules.
 */

/** Upper bounds that keep values sane for Kubernetes and for the local runtime's timers. */
export const MAX_TIME_LIMIT_SECONDS = 31_536_000; // a year
export const MAX_BACKOFF_LIMIT = 1000;
/** Job priorities are 0..1000 (libs/queue maps them onto BullMQ's). */
export const MAX_PRIORITY = 1000;
export const MAX_FAILURE_POLICY_RULES = 20;
export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export const FAILURE_ACTIONS = ['FailJob', 'Ignore', 'Count'] as const;
export const EXIT_CODE_OPERATORS = ['In', 'NotIn'] as const;
/** radix-operator's rule for runtime.nodeType (a node-pool label and taint value). */
const NODE_TYPE = /^(([a-z0-9][-a-z0-9]*)?[a-z0-9])?$/;

const NESTED = { message: 'must be an object' };

/**
 * A variable without a value (`null` in JSON, `VAR:` in YAML) is the empty string, as the original
 * stores it. Anything that is no map is left for the rule to name.
 */
function nullValuesAsEmpty(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, v === null ? '' : v]));
}
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

@ApiSchema({ name: 'FailurePolicyRuleOnExitCodes' })
export class FailurePolicyRuleOnExitCodesDto {
  @ApiProperty({ enum: EXIT_CODE_OPERATORS, description: 'In: the exit code is one of the values; NotIn: it is none of them.' })
  @IsOneOf(EXIT_CODE_OPERATORS)
  operator!: string;

  @ApiProperty({
    type: [Number],
    minItems: 1,
    maxItems: 255,
    uniqueItems: true,
    description: 'Exit codes from 0 to 255, without duplicates; 0 is not allowed with the operator In.',
  })
  @IsExitCodes()
  values!: number[];
}

@ApiSchema({ name: 'FailurePolicyRule' })
export class FailurePolicyRuleDto {
  @ApiProperty({ enum: FAILURE_ACTIONS })
  @IsOneOf(FAILURE_ACTIONS)
  action!: string;

  @ApiProperty({ type: () => FailurePolicyRuleOnExitCodesDto })
  @IsPlainObject()
  @ValidateNested(NESTED)
  @Type(() => FailurePolicyRuleOnExitCodesDto)
  onExitCodes!: FailurePolicyRuleOnExitCodesDto;
}

@ApiSchema({ name: 'FailurePolicy' })
export class FailurePolicyDto {
  @ApiProperty({ type: () => [FailurePolicyRuleDto], maxItems: MAX_FAILURE_POLICY_RULES, description: 'Evaluated in order; the first match decides.' })
  @IsArrayOfSize(0, MAX_FAILURE_POLICY_RULES, { one: 'rule', many: 'rules' })
  @ValidateNested({ ...NESTED, each: true })
  @Type(() => FailurePolicyRuleDto)
  rules!: FailurePolicyRuleDto[];
}

@ApiSchema({ name: 'Resources' })
export class ResourcesDto {
  @ApiPropertyOptional({ ...stringMap, example: { cpu: '300m', memory: '32Mi' }, description: 'Kubernetes quantities by resource name.' })
  @IsOptional()
  @IsStringMap(resourceName, quantity)
  limits?: Record<string, string>;

  @ApiPropertyOptional({ ...stringMap, example: { cpu: '150m', memory: '16Mi' }, description: 'Must not exceed the limits (after merging).' })
  @IsOptional()
  @IsStringMap(resourceName, quantity)
  requests?: Record<string, string>;
}

@ApiSchema({ name: 'Runtime' })
export class RuntimeDto {
  @ApiPropertyOptional({ enum: ARCHITECTURES, example: 'amd64' })
  @IsOptional()
  @IsOneOf(ARCHITECTURES)
  architecture?: string;

  @ApiPropertyOptional({ maxLength: 120, pattern: NODE_TYPE.source, example: 'memory-optimized-2-v1' })
  @IsOptional()
  @IsMatching(NODE_TYPE, 120, 'a node type of lowercase letters, digits and -, not starting or ending with -')
  nodeType?: string;
}

@ApiSchema({ name: 'Node' })
export class NodeDto {
  @ApiPropertyOptional({ description: 'Allowed GPU types, comma separated.', example: 'gpu1, gpu2' })
  @IsOptional()
  @IsText()
  gpu?: string;

  @ApiPropertyOptional({ description: 'Minimum number of GPUs; a number is accepted too, "" counts as not set.', example: '1' })
  @IsOptional()
  // "" is unset, as in the original (radix-operator ignores an empty count).
  @Transform(({ value }) => (typeof value === 'number' ? String(value) : value === '' ? undefined : value))
  @IsGpuCount()
  gpuCount?: string;
}

@ApiSchema({ name: 'RadixJobComponentConfig', description: 'Job options; every field is optional.' })
export class RadixJobComponentConfigDto {
  @ApiPropertyOptional({ description: 'An existing container image that replaces the job component image.' })
  @IsOptional()
  @IsText()
  image?: string;

  @ApiPropertyOptional({ description: 'Replaces the tag of the job image.', example: '1.0.0' })
  @IsOptional()
  @IsText()
  imageTagName?: string;

  @ApiPropertyOptional({ type: 'integer', format: 'int64', minimum: 1, maximum: MAX_TIME_LIMIT_SECONDS, description: 'Maximum run time of the job; default 43200.' })
  @IsOptional()
  @IsIntegerIn(1, MAX_TIME_LIMIT_SECONDS)
  timeLimitSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 0, maximum: MAX_BACKOFF_LIMIT, description: 'Retries after a failed attempt; default 0.' })
  @IsOptional()
  @IsIntegerIn(0, MAX_BACKOFF_LIMIT)
  backoffLimit?: number;

  @ApiPropertyOptional({ type: () => FailurePolicyDto })
  @IsOptional()
  @IsPlainObject()
  @ValidateNested(NESTED)
  @Type(() => FailurePolicyDto)
  failurePolicy?: FailurePolicyDto;

  @ApiPropertyOptional({ type: () => ResourcesDto })
  @IsOptional()
  @IsPlainObject()
  @ValidateNested(NESTED)
  @Type(() => ResourcesDto)
  resources?: ResourcesDto;

  @ApiPropertyOptional({ type: () => RuntimeDto })
  @IsOptional()
  @IsPlainObject()
  @ValidateNested(NESTED)
  @Type(() => RuntimeDto)
  runtime?: RuntimeDto;

  @ApiPropertyOptional({ type: () => NodeDto, description: 'The older GPU form; prefer runtime.nodeType.' })
  @IsOptional()
  @IsPlainObject()
  @ValidateNested(NESTED)
  @Type(() => NodeDto)
  node?: NodeDto;

  @ApiPropertyOptional({ ...stringMap, description: 'Environment variables; added to or overriding those of the job component. A null value is the empty string.' })
  @IsOptional()
  @Transform(({ value }) => nullValuesAsEmpty(value))
  @IsStringMap(variableName, anyString)
  variables?: Record<string, string>;

  @ApiPropertyOptional({ type: [String], description: 'Replaces the ENTRYPOINT; [] suppresses a configured command.' })
  @IsOptional()
  @IsStringArray()
  command?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Replaces the CMD; [] suppresses configured args.' })
  @IsOptional()
  @IsStringArray()
  args?: string[];

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: MAX_PRIORITY,
    description: 'Extension: launch order among Waiting jobs, higher first, then arrival order; default 0. Fixed once accepted.',
  })
  @IsOptional()
  @IsIntegerIn(0, MAX_PRIORITY)
  priority?: number;
}

@ApiSchema({ name: 'JobScheduleDescription', description: 'A single job, or one job of a batch.' })
export class JobScheduleDescriptionDto extends RadixJobComponentConfigDto {
  @ApiPropertyOptional({ description: 'Mounted as the file `payload` under the job component payload.path; at most 1 MB.', example: "{'data':'value'}" })
  @IsOptional()
  @IsText()
  payload?: string;

  @ApiPropertyOptional({ description: 'Free text, echoed in the job status.', example: 'job1' })
  @IsOptional()
  @IsText()
  jobId?: string;
}

@ApiSchema({ name: 'BatchScheduleDescription' })
export class BatchScheduleDescriptionDto {
  @ApiPropertyOptional({ description: 'Free text, echoed in the batch status.', example: 'batch-id-1' })
  @IsOptional()
  @IsText()
  batchId?: string;

  @ApiPropertyOptional({ type: () => RadixJobComponentConfigDto, description: 'Defaults for every job of the batch; an item overrides them.' })
  @IsOptional()
  @IsPlainObject()
  @ValidateNested(NESTED)
  @Type(() => RadixJobComponentConfigDto)
  defaultRadixJobComponentConfig?: RadixJobComponentConfigDto;

  @ApiProperty({ type: () => [JobScheduleDescriptionDto], minItems: 1 })
  @IsArrayOfSize(1, Number.MAX_SAFE_INTEGER, { one: 'job', many: 'jobs' })
  @ValidateNested({ ...NESTED, each: true })
  @Type(() => JobScheduleDescriptionDto)
  jobScheduleDescriptions!: JobScheduleDescriptionDto[];
}

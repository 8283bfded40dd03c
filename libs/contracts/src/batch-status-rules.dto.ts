// @Type reads design metadata; this file may load before @nestjs/swagger, which would bring it.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { BatchStatus, JobStatus } from '@rjs/core';
import { IsArrayOfSize, IsOneOf, IsSetOf } from './rules';

/**
 * `batchStatusRules` of a job component in radixconfig.yaml (and of its environmentConfig entries):
 * a setting of the file alone, no request carries it. Checked like the job options, so a bad rule
 * stops the process with its path (`spec.jobs[0].batchStatusRules[1].operator`).
 */
export const RULE_CONDITIONS = ['All', 'Any'] as const;
export const RULE_OPERATORS = ['In', 'NotIn'] as const;

export class BatchStatusRuleDto {
  @IsOneOf(RULE_CONDITIONS)
  condition!: string;

  @IsOneOf(RULE_OPERATORS)
  operator!: string;

  @IsSetOf(Object.values(JobStatus))
  jobStatuses!: string[];

  @IsOneOf(Object.values(BatchStatus))
  batchStatus!: string;
}

export class BatchStatusRulesDto {
  @IsOptional()
  @IsArrayOfSize(0, Number.MAX_SAFE_INTEGER, { one: 'rule', many: 'rules' })
  @ValidateNested({ message: 'must be an object', each: true })
  @Type(() => BatchStatusRuleDto)
  batchStatusRules?: BatchStatusRuleDto[];
}

import type { ValidationError } from 'class-validator';
import type { FieldProblem } from '@rjs/core';
import { decodeRuleMessage } from './rules';

/**
 * Flattens class-validator's nested ValidationError tree into field paths as the API reports them:
 * array items in brackets, object fields and map keys after dots
 * (`jobScheduleDescriptions[3].resources.limits.cpu`).
 */
export function toFieldProblems(errors: ValidationError[], parentPath = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const path = Array.isArray(error.target)
      ? `${parentPath}[${error.property}]`
      : parentPath
        ? `${parentPath}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      for (const part of decodeRuleMessage(message)) problems.push({ path: path + part.at, message: part.message });
    }
    problems.push(...toFieldProblems(error.children ?? [], path));
  }
  return problems;
}

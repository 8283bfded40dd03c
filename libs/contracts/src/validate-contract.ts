import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldProblem } from '@rjs/core';
import { toFieldProblems } from './validation-problems';

export type ContractResult<T> = { value: T; problems: [] } | { value?: undefined; problems: FieldProblem[] };

/**
 * Checks a plain object (a parsed request body, a radixconfig.yaml entry) against a contract class
 * and returns it as the plain domain object the use cases take: undeclared fields dropped, `null`
 * fields removed (they count as not set). Or every broken rule, each with its field path under
 * `path` (`spec.jobs[0]` gives `spec.jobs[0].resources.limits.cpu`).
 */
export function validateContract<T>(contract: new () => object, plain: object, path = ''): ContractResult<T> {
  const instance = plainToInstance(contract, plain);
  // One rule per field; stopAtFirstError keeps a nested object that is no object from being reported twice.
  const errors = validateSync(instance, {
    whitelist: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: true, value: false },
  });
  if (errors.length) return { problems: toFieldProblems(errors, path) };
  return { value: withoutUnset(instance) as T, problems: [] };
}

/** A plain copy without undefined or null fields (contract class fields exist even when not sent). */
function withoutUnset(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnset);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined && field !== null) out[key] = withoutUnset(field);
  }
  return out;
}

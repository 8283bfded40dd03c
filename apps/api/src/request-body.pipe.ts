import type { PipeTransform } from '@nestjs/common';
import { typeOf, validateContract } from '@rjs/contracts';
import { InvalidRequestError } from '@rjs/core';

/**
 * The deepest a body may nest objects and arrays. A valid request needs 8 levels (batch, items,
 * failurePolicy, rules, onExitCodes, values); class-transformer copies a body recursively, so a
 * body nested 100,000 levels deep (unknown fields included) would overflow the stack: a 500.
 */
export const MAX_BODY_DEPTH = 32;

export interface RequestBodyOptions {
  /** The request DTO: class-validator and class-transformer decorators describe the rules. */
  dto: new () => object;
  /** What an absent body (no body, an empty one, or JSON `null`) stands for; unset: it is rejected. */
  whenEmpty?: object;
  /**
   * A cheap structural pass (libs/contracts common-shapes.ts) that returns the body when it is in a
   * common valid shape that class-validator would return unchanged, else undefined: then the DTO's
   * rules run as always.
   */
  commonShape?: (body: object) => object | undefined;
}

/**
 * Validates a JSON body against a request DTO and returns it as the plain domain object the use
 * cases take: undeclared fields dropped, `null` fields removed (they count as not set).
 * A broken rule throws InvalidRequestError naming every offending field path.
 */
export class RequestBodyPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly options: RequestBodyOptions) {}

  transform(body: unknown): T {
    if ((body === undefined || body === null) && this.options.whenEmpty) return structuredClone(this.options.whenEmpty) as T;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const got = body === null ? 'nothing' : typeOf(body);
      throw new InvalidRequestError([{ path: '', message: `the request body must be a JSON object, got ${got}` }]);
    }
    // A common shape is flat (at most 3 levels), so the depth check has nothing to find in it.
    const common = this.options.commonShape?.(body);
    if (common !== undefined) return common as T;
    const tooDeep = pathNestedTooDeeply(body);
    if (tooDeep !== undefined) {
      throw new InvalidRequestError([{ path: tooDeep, message: `is nested too deeply: at most ${MAX_BODY_DEPTH} levels of objects and arrays are accepted` }]);
    }
    const { value, problems } = validateContract<T>(this.options.dto, body);
    if (problems.length) throw new InvalidRequestError(problems);
    return value as T;
  }
}

/**
 * The path (its first three steps, enough to name the field) of a value nested deeper than
 * MAX_BODY_DEPTH, or undefined. Iterative: the check must not overflow the stack itself.
 */
function pathNestedTooDeeply(body: object): string | undefined {
  const stack: { value: unknown; depth: number; path: string[] }[] = [{ value: body, depth: 1, path: [] }];
  while (stack.length) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH) return path.slice(0, 3).join('').replace(/^\./, '');
    for (const [key, child] of Object.entries(value)) {
      stack.push({ value: child, depth: depth + 1, path: [...path.slice(0, 3), Array.isArray(value) ? `[${key}]` : `.${key}`] });
    }
  }
  return undefined;
}

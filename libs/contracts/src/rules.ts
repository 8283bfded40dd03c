import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { isQuantity } from '@rjs/core';

/**
 * Field rules of the DTOs (schedule-requests.dto.ts). Each decorator checks one field completely
 * and says what is wrong in words. Messages name no field: the path is prepended when the
 * ValidationError tree is flattened (validation-problems.ts). A rule may report a part of its field
 * (a map key, an array item) through `at`, e.g. `{ at: '.cpu', message: 'must be a valid quantity' }`.
 */
export interface PartProblem {
  /** Continues the field's path: `.key` or `[index]`; empty for the field itself. */
  at: string;
  message: string;
}

/** Checks a value; returns what is wrong with it, or undefined when it is fine. */
type Check = (value: unknown, args: ValidationArguments) => string | PartProblem[] | undefined;

// class-validator carries one string per rule; ours is marked so the flattener can read the parts back.
const MARK = '\u0001';

export function decodeRuleMessage(message: string): PartProblem[] {
  return message.startsWith(MARK) ? (JSON.parse(message.slice(MARK.length)) as PartProblem[]) : [{ at: '', message }];
}

function encode(result: string | PartProblem[]): string {
  return MARK + JSON.stringify(typeof result === 'string' ? [{ at: '', message: result }] : result);
}

function rule(name: string, check: Check, options?: ValidationOptions): PropertyDecorator {
  const failed = (value: unknown, args: ValidationArguments) => {
    const result = check(value, args);
    return result === undefined || (Array.isArray(result) && result.length === 0) ? undefined : result;
  };
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => failed(value, args) === undefined,
        defaultMessage: (args?: ValidationArguments) => encode((args && failed(args.value, args)) ?? 'is invalid'),
      },
    },
    options,
  );
}

/** How a value reads in a message: "a string", "an array", "null"... */
export const typeOf = (value: unknown) =>
  value === undefined ? 'nothing' : value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const IsText = () => rule('isText', (v) => (typeof v === 'string' ? undefined : `must be a string, got ${typeOf(v)}`));

export const IsIntegerIn = (min: number, max: number) =>
  rule('isIntegerIn', (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `must be an integer, got ${typeof v === 'number' ? v : typeOf(v)}`;
    if (v < min) return `must be >= ${min}`;
    if (v > max) return `must be <= ${max}`;
    return undefined;
  });

export const IsOneOf = (allowed: readonly string[]) =>
  rule('isOneOf', (v) => (typeof v === 'string' && allowed.includes(v) ? undefined : `must be one of ${allowed.join(', ')}`));

export const IsMatching = (pattern: RegExp, maxLength: number, what: string) =>
  rule('isMatching', (v) => {
    if (typeof v !== 'string') return `must be a string, got ${typeOf(v)}`;
    if (v.length > maxLength) return `must be at most ${maxLength} characters`;
    return pattern.test(v) ? undefined : `must be ${what}`;
  });

/** A list of 1 or more distinct values, each one of `allowed`. */
export const IsSetOf = (allowed: readonly string[]) =>
  rule('isSetOf', (v) => {
    if (!Array.isArray(v)) return `must be a list, got ${typeOf(v)}`;
    if (v.length === 0) return 'must hold at least one value';
    const bad = v.findIndex((s) => typeof s !== 'string' || !allowed.includes(s));
    if (bad >= 0) return [{ at: `[${bad}]`, message: `must be one of ${allowed.join(', ')}` }];
    const repeated = v.find((s, i) => v.indexOf(s) !== i);
    return repeated === undefined ? undefined : `must not repeat a value (${repeated} appears twice)`;
  });

export const IsStringArray = () =>
  rule('isStringArray', (v) => {
    if (!Array.isArray(v)) return `must be an array of strings, got ${typeOf(v)}`;
    const bad = v.findIndex((s) => typeof s !== 'string');
    return bad < 0 ? undefined : [{ at: `[${bad}]`, message: `must be a string, got ${typeOf(v[bad])}` }];
  });

/** An array of objects validated by @ValidateNested; an item that is no object is reported there. */
export const IsArrayOfSize = (min: number, max: number, noun: { one: string; many: string }) =>
  rule('isArrayOfSize', (v) => {
    if (v === undefined || v === null) return 'is required';
    if (!Array.isArray(v)) return `must be an array of ${noun.many}, got ${typeOf(v)}`;
    if (v.length < min) return `must hold at least ${min === 1 ? `one ${noun.one}` : `${min} ${noun.many}`}`;
    if (v.length > max) return `must hold at most ${max} ${noun.many}`;
    // @ValidateNested walks into an array item as into a list, so `[[]]` would pass as an empty item.
    return v.flatMap((item, i) => (Array.isArray(item) ? [{ at: `[${i}]`, message: 'must be an object, got an array' }] : []));
  });

export const IsPlainObject = () =>
  rule('isPlainObject', (v) => (v === undefined ? 'is required' : isPlainObject(v) ? undefined : `must be an object, got ${typeOf(v)}`));

/** A JSON object of string values; `checkKey` and `checkValue` name what is wrong with one entry. */
export const IsStringMap = (checkKey: (key: string) => string | undefined, checkValue: (value: string) => string | undefined) =>
  rule('isStringMap', (v) => {
    if (!isPlainObject(v)) return `must be an object of strings, got ${typeOf(v)}`;
    const problems: PartProblem[] = [];
    for (const [key, value] of Object.entries(v)) {
      const problem = checkKey(key) ?? (typeof value === 'string' ? checkValue(value) : `must be a string, got ${typeOf(value)}`);
      if (problem) problems.push({ at: `.${key}`, message: problem });
    }
    return problems;
  });

/** Environment variable names that every shell and runtime accepts. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Kubernetes resource names: `cpu`, `memory`, `ephemeral-storage`, `nvidia.com/gpu`... */
const RESOURCE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const variableName = (key: string) =>
  key.length <= 253 && VARIABLE_NAME.test(key) ? undefined : 'is not a valid variable name (letters, digits and _, not starting with a digit)';
export const resourceName = (key: string) => (key.length <= 253 && RESOURCE_NAME.test(key) ? undefined : 'is not a valid resource name');
export const quantity = (value: string) => (isQuantity(value) ? undefined : `must be a valid quantity (e.g. 100m, 1.5Gi), got "${value}"`);
export const anyString = () => undefined;

/** `node.gpuCount`: a whole number of GPUs, sent as a string (as in the docs) or a number. */
export const IsGpuCount = () =>
  rule('isGpuCount', (v) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? undefined : 'must be a non-negative whole number (e.g. "1")'));

/**
 * `onExitCodes.values`: 1 to 255 unique exit codes from 0 to 255; 0 is a success and can never
 * match an `In` rule (Kubernetes rejects it).
 */
export const IsExitCodes = () =>
  rule('isExitCodes', (v, args) => {
    if (!Array.isArray(v)) return `must be an array of exit codes, got ${typeOf(v)}`;
    if (v.length < 1 || v.length > 255) return 'must hold 1 to 255 exit codes';
    const bad = v.findIndex((c) => typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 255);
    if (bad >= 0) return [{ at: `[${bad}]`, message: 'must be an integer from 0 to 255' }];
    const repeated = v.find((c, i) => v.indexOf(c) !== i);
    if (repeated !== undefined) return `must not repeat an exit code (${repeated} appears twice)`;
    const operator = (args.object as { operator?: unknown }).operator;
    if (operator === 'In' && v.includes(0)) return 'must not contain 0 with the operator In';
    return undefined;
  });

import { MAX_BACKOFF_LIMIT, MAX_PRIORITY, MAX_TIME_LIMIT_SECONDS } from './schedule-requests.dto';
import { VARIABLE_NAME } from './rules';

/**
 * A cheap structural pass for the request bodies most clients send (a payload, a jobId, a few flat
 * options), run before class-validator, which stays the validator of record. It returns the body
 * itself when every field is one it recognises, set and valid, so that class-validator would give
 * back an equal plain object (nothing dropped, nothing converted); anything else (an unknown or
 * null field, a nested option, any broken rule) returns undefined and the caller runs
 * class-validator, so every error message and every less common shape comes from it alone.
 * Why: class-transformer + class-validator cost ~25 µs per job (an instance per nested object,
 * metadata lookups per decorator), a large part of accepting a small job.
 * common-shapes.spec.ts checks on generated bodies that it agrees with class-validator.
 */

type Check = (value: unknown) => boolean;

const isText: Check = (v) => typeof v === 'string';
const integerIn = (min: number, max: number): Check => (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isStringArray: Check = (v) => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
};
/** Variables whose values are strings already (a null value is converted by class-transformer: not here). */
const isVariables: Check = (v) => {
  if (!isPlainObject(v)) return false;
  for (const key in v) {
    // `__proto__` is a valid name but a plain-object copy would not keep it as a field.
    if (key === '__proto__' || key.length > 253 || !VARIABLE_NAME.test(key) || typeof v[key] !== 'string') return false;
  }
  return true;
};

/** The flat options of RadixJobComponentConfig, by field. */
const CONFIG_FIELDS: Record<string, Check> = {
  image: isText,
  imageTagName: isText,
  timeLimitSeconds: integerIn(1, MAX_TIME_LIMIT_SECONDS),
  backoffLimit: integerIn(0, MAX_BACKOFF_LIMIT),
  priority: integerIn(0, MAX_PRIORITY),
  variables: isVariables,
  command: isStringArray,
  args: isStringArray,
};
/** JobScheduleDescription adds payload and jobId. */
const JOB_FIELDS: Record<string, Check> = { ...CONFIG_FIELDS, payload: isText, jobId: isText };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function hasOnly(value: unknown, fields: Record<string, Check>): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(fields, key) || !fields[key](value[key])) return false;
  }
  return true;
}

/** A single job's body in a common shape, as is, or undefined: run class-validator. */
export function commonJobShape(body: object): object | undefined {
  return hasOnly(body, JOB_FIELDS) ? body : undefined;
}

/** A batch's body whose batchId, defaults and every item are in a common shape, as is, or undefined. */
export function commonBatchShape(body: object): object | undefined {
  if (!isPlainObject(body)) return undefined;
  for (const key in body) {
    const value = body[key];
    if (key === 'batchId') {
      if (typeof value !== 'string') return undefined;
    } else if (key === 'defaultRadixJobComponentConfig') {
      if (!hasOnly(value, CONFIG_FIELDS)) return undefined;
    } else if (key === 'jobScheduleDescriptions') {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      for (let i = 0; i < value.length; i++) if (!hasOnly(value[i], JOB_FIELDS)) return undefined;
    } else {
      return undefined;
    }
  }
  return Object.prototype.hasOwnProperty.call(body, 'jobScheduleDescriptions') ? body : undefined;
}

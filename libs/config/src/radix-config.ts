import { parse } from 'yaml';
import { BatchStatusRulesDto, RadixJobComponentConfigDto, typeOf, validateContract } from '@rjs/contracts';
import { type BatchStatusRule, checkResources, type FieldProblem, type JobComponent, type JobOptions } from '@rjs/core';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** YAML has no "unset": an empty value (`payload:`) is null, which counts as not set, as in a request. */
const isUnset = (v: unknown) => v === undefined || v === null;

/** A job component's name is a host name in Radix (`http://<name>:<schedulerPort>`): a DNS label. */
const COMPONENT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The job options of a job entry or of one of its environmentConfig entries: the fields a request
 * can also carry, checked by the request's own contract (RadixJobComponentConfig), so that a value
 * the API would refuse in a request cannot come in through the file. Other fields are ignored here.
 */
function jobOptions(source: Obj, path: string, problems: FieldProblem[]): JobOptions {
  const { value, problems: broken } = validateContract<JobOptions>(RadixJobComponentConfigDto, source, path);
  problems.push(...broken);
  return value ?? {};
}

/** `batchStatusRules` of a job entry or an environmentConfig entry; undefined when the entry has none. */
function batchStatusRules(source: Obj, path: string, problems: FieldProblem[]): BatchStatusRule[] | undefined {
  const { value, problems: broken } = validateContract<{ batchStatusRules?: BatchStatusRule[] }>(BatchStatusRulesDto, source, path);
  problems.push(...broken);
  return value?.batchStatusRules;
}

/** An environmentConfig entry wins over the job entry; variables and resources merge key by key. */
function mergeEnvironment(base: JobOptions, env: JobOptions): JobOptions {
  const merged: JobOptions = { ...base, ...env };
  if (base.variables || env.variables) merged.variables = { ...base.variables, ...env.variables };
  if (base.resources || env.resources) {
    const limits = { ...base.resources?.limits, ...env.resources?.limits };
    const requests = { ...base.resources?.requests, ...env.resources?.requests };
    merged.resources = { ...(Object.keys(limits).length && { limits }), ...(Object.keys(requests).length && { requests }) };
  }
  return merged;
}

/** Fields only the file has: the name, the port the API listens on, and where a payload is mounted. */
function componentFields(entry: Obj, path: string, problems: FieldProblem[]): { payloadPath?: string } {
  if (typeof entry.name !== 'string' || !COMPONENT_NAME.test(entry.name)) {
    const got = typeof entry.name === 'string' ? `"${entry.name}"` : typeOf(entry.name);
    problems.push({ path: `${path}.name`, message: `must be a DNS label (lowercase letters, digits and -, not starting or ending with -), got ${got}` });
  }
  const port = entry.schedulerPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push({ path: `${path}.schedulerPort`, message: `must be a port number from 1 to 65535, got ${typeof port === 'number' ? port : typeOf(port)}` });
  }
  if (isUnset(entry.payload)) return {};
  if (!isObj(entry.payload)) {
    problems.push({ path: `${path}.payload`, message: `must be an object with a path, got ${typeOf(entry.payload)}` });
    return {};
  }
  const payloadPath = entry.payload.path;
  if (typeof payloadPath !== 'string' || !payloadPath.startsWith('/')) {
    const got = typeof payloadPath === 'string' ? `"${payloadPath}"` : typeOf(payloadPath);
    problems.push({ path: `${path}.payload.path`, message: `must be an absolute path (starting with /), got ${got}` });
    return {};
  }
  return { payloadPath };
}

interface EnvironmentEntry {
  at: string;
  environment: string;
  options: JobOptions;
  /** Replaces the job entry's rules as a whole, as other lists do. */
  rules?: BatchStatusRule[];
}

/**
 * Every environmentConfig entry is checked, not only the one RADIX_ENVIRONMENT picks: the file is
 * valid or not, whichever environment a scheduler serves.
 */
function environmentEntries(entry: Obj, path: string, problems: FieldProblem[]): EnvironmentEntry[] {
  const list = entry.environmentConfig;
  if (isUnset(list)) return [];
  if (!Array.isArray(list)) {
    problems.push({ path: `${path}.environmentConfig`, message: `must be a list of environments, got ${typeOf(list)}` });
    return [];
  }
  const entries: EnvironmentEntry[] = [];
  list.forEach((item: unknown, index) => {
    const at = `${path}.environmentConfig[${index}]`;
    if (!isObj(item)) {
      problems.push({ path: at, message: `must be an object, got ${typeOf(item)}` });
      return;
    }
    const options = jobOptions(item, at, problems);
    const rules = batchStatusRules(item, at, problems);
    const environment = item.environment;
    const first = entries.find((e) => e.environment === environment);
    if (typeof environment !== 'string' || environment === '') {
      problems.push({ path: `${at}.environment`, message: `must name an environment, got ${typeOf(environment)}` });
    } else if (first) {
      problems.push({ path: `${at}.environment`, message: `"${environment}" is already configured at ${first.at}` });
    } else entries.push({ at, environment, options, rules });
  });
  return entries;
}

/**
 * Requests must not exceed limits in what a job inherits: the job entry's resources, and each
 * environment's merged with them. A conflict of the entry alone is reported once, at the entry.
 */
function resourceConflicts(base: JobOptions, path: string, environments: EnvironmentEntry[]): FieldProblem[] {
  const under = (at: string, found: FieldProblem[]) => found.map((p) => ({ path: `${at}.${p.path}`, message: p.message }));
  const ofBase = checkResources(base.resources ?? {}, '');
  const problems = under(path, ofBase);
  for (const { at, options } of environments) {
    if (!options.resources) continue;
    const merged = checkResources(mergeEnvironment(base, options).resources ?? {}, '');
    problems.push(...under(at, merged.filter((p) => !ofBase.some((b) => b.path === p.path))));
  }
  return problems;
}

/** An http or https URL, or undefined with a problem. */
export function webhookProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return undefined;
  } catch {
    // reported below
  }
  return `must be an http or https URL, got "${url}"`;
}

/**
 * `notifications.webhook` of the job entry, or of its environmentConfig entry for `environment`,
 * which wins (as the original's radixconfig has it); undefined when neither sets one.
 */
function notificationsWebhook(entry: Obj, path: string, environment: string | undefined, problems: FieldProblem[]): string | undefined {
  const read = (source: Obj, at: string): string | undefined => {
    if (isUnset(source.notifications)) return undefined;
    const webhook = isObj(source.notifications) ? source.notifications.webhook : undefined;
    if (isUnset(webhook)) return undefined;
    if (typeof webhook !== 'string') {
      problems.push({ path: `${at}.notifications.webhook`, message: `must be an http or https URL, got ${typeOf(webhook)}` });
      return undefined;
    }
    const problem = webhookProblem(webhook);
    if (problem) problems.push({ path: `${at}.notifications.webhook`, message: problem });
    return webhook;
  };
  const environments = Array.isArray(entry.environmentConfig) ? entry.environmentConfig : [];
  const index = environments.findIndex((e) => isObj(e) && e.environment === environment);
  const fromEnvironment = index >= 0 ? read(environments[index] as Obj, `${path}.environmentConfig[${index}]`) : undefined;
  return fromEnvironment ?? read(entry, path);
}

/**
 * Picks the job component this scheduler serves from a radixconfig.yaml: the entry of spec.jobs
 * named `componentName`, or the first. `environment` applies that entry's environmentConfig.
 * Returns the component, or every problem of the entry as `<path in the file>: <what is wrong>`.
 */
export function parseJobComponent(
  yamlText: string,
  componentName: string | undefined,
  environment: string | undefined,
): { component?: JobComponent; problems: string[] } {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (error) {
    return { problems: [`not valid YAML: ${(error as Error).message}`] };
  }
  const jobs = isObj(doc) && isObj(doc.spec) ? doc.spec.jobs : undefined;
  if (!Array.isArray(jobs) || jobs.length === 0) return { problems: ['spec.jobs: must list at least one job component'] };
  const index = componentName === undefined ? 0 : jobs.findIndex((j) => isObj(j) && j.name === componentName);
  if (index < 0) {
    const names = jobs.map((j) => (isObj(j) ? j.name : '?')).join(', ');
    return { problems: [`JOB_COMPONENT "${componentName}" is not in spec.jobs (found: ${names})`] };
  }
  const entry: unknown = jobs[index];
  const path = `spec.jobs[${index}]`;
  if (!isObj(entry)) return { problems: [`${path}: must be an object, got ${typeOf(entry)}`] };

  const problems: FieldProblem[] = [];
  const { payloadPath } = componentFields(entry, path, problems);
  const base = jobOptions(entry, path, problems);
  const baseRules = batchStatusRules(entry, path, problems);
  const environments = environmentEntries(entry, path, problems);
  const webhook = notificationsWebhook(entry, path, environment, problems);
  problems.push(...resourceConflicts(base, path, environments));
  if (problems.length) return { problems: problems.map((p) => `${p.path}: ${p.message}`) };
  const chosen = environments.find((e) => e.environment === environment);
  const options = chosen ? mergeEnvironment(base, chosen.options) : base;
  const rules = chosen?.rules ?? baseRules;
  const component: JobComponent = { ...options, name: entry.name as string, schedulerPort: entry.schedulerPort as number, payloadPath };
  if (rules) component.batchStatusRules = rules;
  if (webhook) component.notifications = { webhook };
  return { component, problems: [] };
}

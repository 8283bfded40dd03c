import { parse } from 'yaml';
import type { JobComponent, JobOptions } from '@rjs/core';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the job options a radixconfig.yaml job entry (or its environmentConfig) may set. */
function readOptions(source: Obj, path: string, problems: string[]): JobOptions {
  const options: JobOptions = {};
  const str = (key: keyof JobOptions & string) => {
    if (source[key] === undefined) return;
    if (typeof source[key] !== 'string') problems.push(`${path}.${key} must be a string`);
    else (options as Obj)[key] = source[key];
  };
  const int = (key: 'timeLimitSeconds' | 'backoffLimit', min: number) => {
    const v = source[key];
    if (v === undefined) return;
    if (!Number.isInteger(v) || (v as number) < min) problems.push(`${path}.${key} must be an integer >= ${min}`);
    else options[key] = v as number;
  };
  const strings = (key: 'command' | 'args') => {
    const v = source[key];
    if (v === undefined) return;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) problems.push(`${path}.${key} must be a list of strings`);
    else options[key] = v as string[];
  };
  const stringMap = (value: unknown, at: string): Record<string, string> | undefined => {
    if (value === undefined || value === null) return undefined;
    if (!isObj(value)) {
      problems.push(`${at} must be a map`);
      return undefined;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  };
  str('image');
  str('imageTagName');
  int('timeLimitSeconds', 1);
  int('backoffLimit', 0);
  strings('command');
  strings('args');
  const variables = stringMap(source.variables, `${path}.variables`);
  if (variables) options.variables = variables;
  if (source.resources !== undefined) {
    if (!isObj(source.resources)) problems.push(`${path}.resources must be a map`);
    else {
      const limits = stringMap(source.resources.limits, `${path}.resources.limits`);
      const requests = stringMap(source.resources.requests, `${path}.resources.requests`);
      options.resources = { ...(limits && { limits }), ...(requests && { requests }) };
    }
  }
  if (source.node !== undefined) {
    if (!isObj(source.node)) problems.push(`${path}.node must be a map`);
    else options.node = { ...(source.node.gpu !== undefined && { gpu: String(source.node.gpu) }), ...(source.node.gpuCount !== undefined && { gpuCount: String(source.node.gpuCount) }) };
  }
  if (source.runtime !== undefined) {
    if (!isObj(source.runtime)) problems.push(`${path}.runtime must be a map`);
    else options.runtime = source.runtime as JobOptions['runtime'];
  }
  if (source.failurePolicy !== undefined) {
    if (!isObj(source.failurePolicy) || !Array.isArray(source.failurePolicy.rules)) problems.push(`${path}.failurePolicy must have a list of rules`);
    else options.failurePolicy = source.failurePolicy as unknown as JobOptions['failurePolicy'];
  }
  return options;
}

function mergeEnvironment(base: JobOptions, env: JobOptions): JobOptions {
  return {
    ...base,
    ...env,
    variables: { ...base.variables, ...env.variables },
    resources: {
      limits: { ...base.resources?.limits, ...env.resources?.limits },
      requests: { ...base.resources?.requests, ...env.resources?.requests },
    },
  };
}

/**
 * Picks the job component this scheduler serves from a radixconfig.yaml: the entry of spec.jobs
 * named `componentName`, or the first. `environment` applies that entry's environmentConfig.
 */
export function parseJobComponent(
  yamlText: string,
  componentName: string | undefined,
  environment: string | undefined,
): { component?: JobComponent; problems: string[] } {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (error) {
    return { problems: [`not valid YAML: ${(error as Error).message}`] };
  }
  const jobs = isObj(doc) && isObj(doc.spec) ? doc.spec.jobs : undefined;
  if (!Array.isArray(jobs) || jobs.length === 0) return { problems: ['spec.jobs must list at least one job component'] };
  const index = componentName === undefined ? 0 : jobs.findIndex((j) => isObj(j) && j.name === componentName);
  if (index < 0) {
    const names = jobs.map((j) => (isObj(j) ? j.name : '?')).join(', ');
    return { problems: [`JOB_COMPONENT "${componentName}" is not in spec.jobs (found: ${names})`] };
  }
  const entry = jobs[index];
  const path = `spec.jobs[${index}]`;
  if (!isObj(entry)) return { problems: [`${path} must be a map`] };
  if (typeof entry.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(entry.name)) {
    problems.push(`${path}.name must be a lowercase DNS label`);
  }
  const port = entry.schedulerPort;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    problems.push(`${path}.schedulerPort must be a port number (1-65535)`);
  }
  let payloadPath: string | undefined;
  if (entry.payload !== undefined) {
    if (!isObj(entry.payload) || typeof entry.payload.path !== 'string' || !entry.payload.path.startsWith('/')) {
      problems.push(`${path}.payload.path must be an absolute path`);
    } else payloadPath = entry.payload.path;
  }
  let options = readOptions(entry, path, problems);
  if (environment !== undefined && Array.isArray(entry.environmentConfig)) {
    const envIndex = entry.environmentConfig.findIndex((e) => isObj(e) && e.environment === environment);
    if (envIndex >= 0) {
      const envOptions = readOptions(entry.environmentConfig[envIndex] as Obj, `${path}.environmentConfig[${envIndex}]`, problems);
      options = mergeEnvironment(options, envOptions);
    }
  }
  if (problems.length) return { problems };
  return { component: { ...options, name: entry.name as string, schedulerPort: port as number, payloadPath }, problems };
}

import { PermanentLaunchError, type ResolvedJob } from '@rjs/core';

/**
 * What a local job inherits from the scheduler's own environment: enough to find programs and run
 * in the user's locale and time zone, nothing else. The scheduler's other variables (REDIS_URL,
 * credentials, NODE_OPTIONS...) do not leak into jobs, as they would not reach a Kubernetes pod.
 */
export const INHERITED_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'] as const;

/**
 * The job's environment: the inherited minimum, then the job's `variables`, then what the scheduler
 * sets itself (RADIX_JOB_NAME, and JOB_PAYLOAD_FILE when the job has a payload), which wins.
 */
export function jobEnvironment(job: ResolvedJob, payloadFile: string | undefined, inherited: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = inherited[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, job.variables);
  env.RADIX_JOB_NAME = job.name;
  if (payloadFile !== undefined) env.JOB_PAYLOAD_FILE = payloadFile;
  else delete env.JOB_PAYLOAD_FILE;
  return env;
}

/**
 * The process to run: `command` + `args`. An image's ENTRYPOINT has no local equivalent, so a job
 * without a command cannot run here.
 */
export function commandLine(job: ResolvedJob): string[] {
  if (!job.command?.length) {
    throw new PermanentLaunchError(
      `job component ${job.component} has no command, and the local runtime runs command + args as a process ` +
        '(set command in radixconfig.yaml or in the request)',
    );
  }
  return [...job.command, ...(job.args ?? [])];
}

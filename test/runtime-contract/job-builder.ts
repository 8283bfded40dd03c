import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailurePolicyAction, ResolvedJob } from '@rjs/core';

/** The test job program; its behaviour is chosen by variables (see the file's header). */
export const JOB_PROGRAM = join(__dirname, '..', 'fixtures', 'job-program.js');

/** What the job program saw, written to REPORT_FILE. */
export interface JobProgramReport {
  pid: number;
  attempt: number;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** The payload's bytes, when the job has a payload file. */
  payloadBase64?: string;
}

/** The job program's report, once it has written it (it never shows half a report). */
export function readJobReport(file: string): JobProgramReport | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JobProgramReport) : undefined;
}

/**
 * The jobs that started, in order, from the job program's EVENTS_FILE. Only whole lines count: a
 * job may be appending its line while this reads.
 */
export function jobsThatRan(eventsFile: string): string[] {
  if (!existsSync(eventsFile)) return [];
  const whole = readFileSync(eventsFile, 'utf8').split('\n').slice(0, -1);
  return [...new Set(whole.map((line) => (JSON.parse(line) as { job: string }).job))];
}

/** A unique, valid Kubernetes name. */
export function uniqueJobName(prefix = 'job'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Builds a ResolvedJob that runs the test job program, read like a sentence:
 * `aJob().exitingWith(42).withBackoffLimit(3).failingJobOn(42).build()`.
 */
export class JobBuilder {
  private readonly job: ResolvedJob;

  constructor(name = uniqueJobName()) {
    this.job = {
      name,
      batchName: `batch-${name}`,
      batchType: 'job',
      component: 'compute',
      image: 'radix-job-scheduler-test-job:latest',
      timeLimitSeconds: 300,
      backoffLimit: 0,
      resources: {},
      variables: {},
      command: [process.execPath, JOB_PROGRAM],
      args: [],
      payloadPath: '/compute/args',
      hasPayload: false,
    };
  }

  withVariables(variables: Record<string, string>): this {
    Object.assign(this.job.variables, variables);
    return this;
  }
  exitingWith(code: number): this {
    return this.withVariables({ EXIT_CODE: String(code) });
  }
  sleeping(seconds: number): this {
    return this.withVariables({ SLEEP_SECONDS: String(seconds) });
  }
  /** The first `attempts` attempts exit with EXIT_CODE (default 1), later ones with 0. */
  failingFirst(attempts: number, counterFile: string): this {
    return this.withVariables({ FAIL_FIRST_ATTEMPTS: String(attempts) }).countingAttemptsIn(counterFile);
  }
  /** Prints "attempt <a> line <i>" to stdout `lines` times, `intervalMs` apart, then "attempt <a> error <i>" to stderr `stderrLines` times. */
  printing(lines: number, { intervalMs = 0, stderrLines = 0 } = {}): this {
    return this.withVariables({ LINES: String(lines), LINE_INTERVAL_MS: String(intervalMs), STDERR_LINES: String(stderrLines) });
  }
  countingAttemptsIn(counterFile: string): this {
    return this.withVariables({ ATTEMPT_COUNTER_FILE: counterFile });
  }
  reportingTo(reportFile: string): this {
    return this.withVariables({ REPORT_FILE: reportFile });
  }
  withBackoffLimit(limit: number): this {
    this.job.backoffLimit = limit;
    return this;
  }
  withTimeLimit(seconds: number): this {
    this.job.timeLimitSeconds = seconds;
    return this;
  }
  withRule(action: FailurePolicyAction, operator: 'In' | 'NotIn', ...values: number[]): this {
    this.job.failurePolicy ??= { rules: [] };
    this.job.failurePolicy.rules.push({ action, onExitCodes: { operator, values } });
    return this;
  }
  failingJobOn(...exitCodes: number[]): this {
    return this.withRule('FailJob', 'In', ...exitCodes);
  }
  ignoring(...exitCodes: number[]): this {
    return this.withRule('Ignore', 'In', ...exitCodes);
  }
  withPayload(): this {
    this.job.hasPayload = true;
    return this;
  }
  withCommand(command: string[] | undefined, args?: string[]): this {
    this.job.command = command;
    this.job.args = args;
    return this;
  }
  build(): ResolvedJob {
    return structuredClone(this.job);
  }
}

export const aJob = (name?: string) => new JobBuilder(name);

/** What `printing()` makes attempt `attempt` print to stdout, lines `from` to `to`. */
export const printedLines = (attempt: number, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `attempt ${attempt} line ${from + i}\n`).join('');

import type { Readable } from 'node:stream';
import { DomainError, ErrorCode, type FieldProblem, InvalidRequestError } from '../errors';
import { isFinal } from '../job-status';
import { singleQueryValue } from '../query-parameters';
import { type AttemptRef, type JobLogs, type LogReadOptions, RuntimeUnavailableError } from '../ports';
import type { JobRecord } from '../records';
import type { JobQueries } from './job-queries';

/** A logs request's query, checked: which attempt (absent: the latest) and how to read it. */
export interface LogQuery extends LogReadOptions {
  attempt?: number;
}

/** Up to 15 digits: every such number is exact in a JavaScript number. */
const WHOLE_NUMBER = /^\d{1,15}$/;
const LARGEST = '999999999999999';
const FLAGS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/**
 * Checks the query parameters of the logs routes (`attempt`, `tailLines`, `follow`) and names every
 * bad one; other parameters are ignored, as unknown fields of a body are.
 */
export function parseLogQuery(query: Record<string, unknown>): LogQuery {
  const problems: FieldProblem[] = [];
  const text = (name: string) => singleQueryValue(query, name, problems);
  const wholeNumber = (name: string, least: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (WHOLE_NUMBER.test(value) && Number(value) >= least) return Number(value);
    problems.push({ path: name, message: `must be a whole number from ${least} to ${LARGEST}` });
    return undefined;
  };
  const attempt = wholeNumber('attempt', 1);
  const tailLines = wholeNumber('tailLines', 0);
  const followText = text('follow');
  const follow = followText === undefined ? false : FLAGS[followText];
  if (follow === undefined) problems.push({ path: 'follow', message: 'must be true or false' });
  if (problems.length) throw new InvalidRequestError(problems);
  return { attempt, tailLines, follow: follow ?? false };
}

const attempts = (count: number) => `${count} attempt${count === 1 ? '' : 's'}`;

/**
 * The attempt a logs request reads: number `attempt` of `podStatuses` (1-based), else the latest.
 * NotFound, with a message that says why, when the record shows it has no output to give.
 */
export function pickAttempt(record: JobRecord, attempt?: number): AttemptRef {
  const count = record.podStatuses.length;
  const missing = (message: string) => new DomainError(ErrorCode.NotFound, message);
  if (count === 0) {
    throw missing(isFinal(record.status) ? `job ${record.name} never started: it has no logs` : `job ${record.name} has not started yet: it has no logs`);
  }
  const number = attempt ?? count;
  if (number > count) throw missing(`job ${record.name} has no attempt ${number}: it has ${attempts(count)} so far`);
  const pod = record.podStatuses[number - 1];
  if (!pod.containerStarted) {
    const over = number < count || !!pod.endTime || isFinal(record.status);
    throw missing(
      over
        ? `attempt ${number} of job ${record.name} ended before its container started: it has no logs`
        : `attempt ${number} of job ${record.name} has not started yet: it has no logs`,
    );
  }
  return { jobName: record.name, attempt: number, podName: pod.name };
}

/** The logs routes: finds the job's record, picks the attempt, and opens its output in the runtime. */
export class JobLogReader {
  constructor(
    private readonly queries: JobQueries,
    private readonly logs: JobLogs,
  ) {}

  async openJobLogs(jobName: string, query: LogQuery): Promise<Readable> {
    return this.open(await this.queries.findJob(jobName), query);
  }

  /** `jobName` may be the full job name or its last part. */
  async openBatchJobLogs(batchName: string, jobName: string, query: LogQuery): Promise<Readable> {
    return this.open(await this.queries.findBatchJob(batchName, jobName), query);
  }

  private async open(record: JobRecord, { attempt, ...options }: LogQuery): Promise<Readable> {
    const target = pickAttempt(record, attempt);
    try {
      return await this.logs.open(target, options);
    } catch (error) {
      if (error instanceof RuntimeUnavailableError) {
        throw new DomainError(ErrorCode.Unavailable, `the logs of attempt ${target.attempt} of job ${target.jobName} cannot be read now; try again (${error.message})`);
      }
      throw error;
    }
  }
}

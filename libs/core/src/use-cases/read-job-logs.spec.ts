import { Readable } from 'node:stream';
import { DomainError, ErrorCode, InvalidRequestError } from '../errors';
import type { JobStatus } from '../job-status';
import { type JobLogs, RuntimeUnavailableError, type StatusStore } from '../ports';
import type { JobRecord, PodStatus } from '../records';
import { JobQueries } from './job-queries';
import { JobLogReader, parseLogQuery, pickAttempt } from './read-job-logs';

const NAME = 'batch-c-20240101000000-aaaaaaaa-bbbbbbbb';

const started = (n: number, extra: Partial<PodStatus> = {}): PodStatus => ({
  name: `${NAME}-${n}`,
  containerStarted: '2024-01-01T00:00:01Z',
  replicaStatus: { status: 'Running' },
  ...extra,
});
const pending = (n: number, extra: Partial<PodStatus> = {}): PodStatus => ({ name: `${NAME}-${n}`, replicaStatus: { status: 'Pending' }, ...extra });

const record = (status: JobStatus, podStatuses: PodStatus[]): JobRecord => ({
  name: NAME,
  batchName: 'batch-c-20240101000000-aaaaaaaa',
  batchType: 'job',
  created: '2024-01-01T00:00:00Z',
  updated: '2024-01-01T00:00:00Z',
  status,
  failed: 0,
  podStatuses,
});

const notFoundWith = (message: string) => expect.objectContaining({ code: ErrorCode.NotFound, message });

describe('parseLogQuery', () => {
  it.each([
    { query: {}, options: { attempt: undefined, tailLines: undefined, follow: false } },
    { query: { attempt: '2', tailLines: '0', follow: 'true' }, options: { attempt: 2, tailLines: 0, follow: true } },
    { query: { tailLines: '999999999999999', follow: 'false' }, options: { attempt: undefined, tailLines: 999999999999999, follow: false } },
    { query: { follow: '1' }, options: { attempt: undefined, tailLines: undefined, follow: true } },
    { query: { follow: '0', other: 'ignored' }, options: { attempt: undefined, tailLines: undefined, follow: false } },
  ])('accepts $query', ({ query, options }) => {
    expect(parseLogQuery(query)).toEqual(options);
  });

  it.each([
    { query: { attempt: '0' }, message: 'attempt must be a whole number from 1 to 999999999999999' },
    { query: { attempt: '-1' }, message: 'attempt must be a whole number from 1 to 999999999999999' },
    { query: { attempt: '1.5' }, message: 'attempt must be a whole number from 1 to 999999999999999' },
    { query: { attempt: '' }, message: 'attempt must be a whole number from 1 to 999999999999999' },
    { query: { tailLines: 'ten' }, message: 'tailLines must be a whole number from 0 to 999999999999999' },
    { query: { tailLines: '1000000000000000' }, message: 'tailLines must be a whole number from 0 to 999999999999999' },
    { query: { tailLines: ' 5' }, message: 'tailLines must be a whole number from 0 to 999999999999999' },
    { query: { follow: 'yes' }, message: 'follow must be true or false' },
    { query: { follow: '' }, message: 'follow must be true or false' },
    { query: { attempt: ['1', '2'] }, message: 'attempt must be given once' },
    {
      query: { attempt: 'x', tailLines: '-3', follow: 'maybe' },
      message:
        'attempt must be a whole number from 1 to 999999999999999; tailLines must be a whole number from 0 to 999999999999999; follow must be true or false',
    },
  ])('refuses $query, naming every bad parameter', ({ query, message }) => {
    let error: unknown;
    try {
      parseLogQuery(query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toBe(message);
  });
});

describe('pickAttempt', () => {
  it.each([
    { case: 'the latest attempt by default', job: record('Running', [started(1, { endTime: 'x' }), started(2)]), attempt: undefined, pod: `${NAME}-2`, number: 2 },
    { case: 'an earlier attempt by number', job: record('Failed', [started(1), started(2)]), attempt: 1, pod: `${NAME}-1`, number: 1 },
    { case: 'the only attempt', job: record('Succeeded', [started(1)]), attempt: 1, pod: `${NAME}-1`, number: 1 },
  ])('picks $case', ({ job, attempt, pod, number }) => {
    expect(pickAttempt(job, attempt)).toEqual({ jobName: NAME, attempt: number, podName: pod });
  });

  it.each([
    { case: 'a job still waiting', job: record('Waiting', []), attempt: undefined, message: `job ${NAME} has not started yet: it has no logs` },
    { case: 'a job stopped before it started', job: record('Stopped', []), attempt: undefined, message: `job ${NAME} never started: it has no logs` },
    { case: 'an attempt beyond the last', job: record('Running', [started(1)]), attempt: 3, message: `job ${NAME} has no attempt 3: it has 1 attempt so far` },
    { case: 'an attempt whose container waits', job: record('Active', [pending(1)]), attempt: undefined, message: `attempt 1 of job ${NAME} has not started yet: it has no logs` },
    {
      case: 'an attempt that ended before its container started',
      job: record('Running', [pending(1, { endTime: '2024-01-01T00:00:02Z', replicaStatus: { status: 'Failed' } }), started(2)]),
      attempt: 1,
      message: `attempt 1 of job ${NAME} ended before its container started: it has no logs`,
    },
  ])('refuses $case with NotFound', ({ job, attempt, message }) => {
    expect(() => pickAttempt(job, attempt)).toThrow(notFoundWith(message));
  });
});

describe('JobLogReader', () => {
  const storeWith = (job: JobRecord) => ({ getJob: async (name: string) => (name === job.name ? job : undefined) }) as unknown as StatusStore;

  it('opens the picked attempt with the read options', async () => {
    const opened: unknown[] = [];
    const logs: JobLogs = { open: async (...args) => (opened.push(args), Readable.from(['output\n'])) };
    const reader = new JobLogReader(new JobQueries(storeWith(record('Running', [started(1), started(2)]))), logs);

    const stream = await reader.openJobLogs(NAME, { attempt: 1, tailLines: 5, follow: true });

    expect(opened).toEqual([[{ jobName: NAME, attempt: 1, podName: `${NAME}-1` }, { tailLines: 5, follow: true }]]);
    expect((await stream.toArray()).join('')).toBe('output\n');
  });

  it('answers NotFound for an unknown job without asking the runtime', async () => {
    const logs: JobLogs = { open: jest.fn() };
    const reader = new JobLogReader(new JobQueries(storeWith(record('Running', [started(1)]))), logs);
    await expect(reader.openJobLogs('batch-c-20240101000000-aaaaaaaa-zzzzzzzz', { follow: false })).rejects.toThrow(
      notFoundWith('job batch-c-20240101000000-aaaaaaaa-zzzzzzzz is not found'),
    );
    expect(logs.open).not.toHaveBeenCalled();
  });

  it('turns a runtime that cannot be reached into ServiceUnavailable', async () => {
    const logs: JobLogs = { open: async () => Promise.reject(new RuntimeUnavailableError('Kubernetes API unavailable (ECONNREFUSED)')) };
    const reader = new JobLogReader(new JobQueries(storeWith(record('Running', [started(1)]))), logs);
    const failure = reader.openJobLogs(NAME, { follow: false });
    await expect(failure).rejects.toBeInstanceOf(DomainError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCode.Unavailable, message: expect.stringContaining('ECONNREFUSED') });
  });
});

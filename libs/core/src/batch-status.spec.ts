import { type BatchStatusRule, deriveBatchState, statusByRules } from './batch-status';
import type { BatchStatus, JobStatus } from './job-status';

const jobs = (...statuses: JobStatus[]) => statuses.map((status) => ({ status, updated: '2024-01-01T00:00:00Z' }));

describe('deriveBatchState: status', () => {
  it.each<[JobStatus[], JobStatus]>([
    [['Waiting'], 'Waiting'],
    [['Waiting', 'Waiting', 'Waiting'], 'Waiting'],
    [['Waiting', 'Active'], 'Running'],
    [['Waiting', 'Running'], 'Running'],
    [['Active', 'Active'], 'Running'],
    [['Succeeded', 'Waiting'], 'Running'],
    [['Failed', 'Running'], 'Running'],
    [['Stopped', 'Active'], 'Running'],
    [['Stopping', 'Running'], 'Stopping'],
    [['Stopping', 'Waiting'], 'Stopping'],
    [['Stopping', 'Stopped'], 'Stopping'],
    [['Succeeded'], 'Succeeded'],
    [['Succeeded', 'Succeeded'], 'Succeeded'],
    [['Succeeded', 'Stopped'], 'Stopped'],
    [['Stopped', 'Stopped'], 'Stopped'],
    [['Succeeded', 'Failed'], 'Failed'],
    [['Stopped', 'Failed', 'Succeeded'], 'Failed'],
    [['Failed'], 'Failed'],
  ])('%j -> %s', (statuses, expected) => {
    expect(deriveBatchState(jobs(...statuses)).status).toBe(expected);
  });
});

describe('deriveBatchState: times', () => {
  const finished = [
    { status: 'Succeeded' as const, started: '2024-01-01T00:00:05Z', ended: '2024-01-01T00:01:00Z', updated: '2024-01-01T00:01:00Z' },
    { status: 'Failed' as const, started: '2024-01-01T00:00:03Z', ended: '2024-01-01T00:02:00Z', updated: '2024-01-01T00:02:30Z' },
  ];

  it('starts with the first job, ends with the last one, and was updated with the latest change', () => {
    expect(deriveBatchState(finished)).toEqual({
      status: 'Failed',
      started: '2024-01-01T00:00:03Z',
      ended: '2024-01-01T00:02:00Z',
      updated: '2024-01-01T00:02:30Z',
    });
  });

  it('has no end while a job is not final', () => {
    const state = deriveBatchState([...finished, { status: 'Running', started: '2024-01-01T00:00:01Z', updated: '2024-01-01T00:03:00Z' }]);
    expect(state).toEqual({ status: 'Running', started: '2024-01-01T00:00:01Z', updated: '2024-01-01T00:03:00Z' });
  });

  it('has no start while no job started', () => {
    expect(deriveBatchState(jobs('Waiting', 'Waiting')).started).toBeUndefined();
  });
});

const rule = (condition: 'All' | 'Any', operator: 'In' | 'NotIn', jobStatuses: JobStatus[], batchStatus: BatchStatus): BatchStatusRule => ({
  condition,
  operator,
  jobStatuses,
  batchStatus,
});

describe('statusByRules: one rule', () => {
  it.each<[BatchStatusRule, JobStatus[], BatchStatus | undefined]>([
    // All + In: every job's status is in the list.
    [rule('All', 'In', ['Succeeded', 'Stopped'], 'Completed'), ['Succeeded', 'Stopped', 'Succeeded'], 'Completed'],
    [rule('All', 'In', ['Succeeded', 'Stopped'], 'Completed'), ['Succeeded', 'Failed'], undefined],
    [rule('All', 'In', ['Waiting'], 'Active'), ['Waiting'], 'Active'],
    // All + NotIn: no job's status is in the list.
    [rule('All', 'NotIn', ['Failed'], 'Succeeded'), ['Succeeded', 'Running'], 'Succeeded'],
    [rule('All', 'NotIn', ['Failed'], 'Succeeded'), ['Succeeded', 'Failed'], undefined],
    // Any + In: at least one job's status is in the list.
    [rule('Any', 'In', ['Failed'], 'Failed'), ['Running', 'Failed', 'Waiting'], 'Failed'],
    [rule('Any', 'In', ['Failed'], 'Failed'), ['Running', 'Succeeded'], undefined],
    // Any + NotIn: at least one job's status is not in the list.
    [rule('Any', 'NotIn', ['Waiting'], 'Running'), ['Waiting', 'Active'], 'Running'],
    [rule('Any', 'NotIn', ['Waiting'], 'Running'), ['Waiting', 'Waiting'], undefined],
    // Stopping is a job status here too, and can be matched.
    [rule('Any', 'In', ['Stopping'], 'Stopped'), ['Stopping', 'Running'], 'Stopped'],
  ])('%j on %j -> %s', (r, statuses, expected) => {
    expect(statusByRules([r], statuses)).toBe(expected);
  });
});

describe('statusByRules: a list', () => {
  const rules = [
    rule('Any', 'In', ['Failed'], 'Failed'),
    rule('All', 'In', ['Succeeded'], 'Completed'),
    rule('Any', 'In', ['Running', 'Failed'], 'Active'),
  ];

  it.each<[JobStatus[], BatchStatus | undefined]>([
    [['Running', 'Failed'], 'Failed'], // the first match wins, though the third matches too
    [['Succeeded', 'Succeeded'], 'Completed'],
    [['Running', 'Waiting'], 'Active'],
    [['Waiting', 'Stopped'], undefined],
  ])('%j -> %s', (statuses, expected) => {
    expect(statusByRules(rules, statuses)).toBe(expected);
  });

  it('matches nothing without rules', () => {
    expect(statusByRules([], ['Failed'])).toBeUndefined();
  });
});

describe('deriveBatchState: with batchStatusRules', () => {
  const rules = [rule('Any', 'In', ['Failed'], 'Failed'), rule('All', 'In', ['Succeeded'], 'Completed')];

  it.each<[JobStatus[], BatchStatus]>([
    [['Failed', 'Running'], 'Failed'], // built in: Running
    [['Succeeded', 'Succeeded'], 'Completed'], // built in: Succeeded
    [['Succeeded', 'Running'], 'Running'], // no rule matches: built in
    [['Stopped', 'Succeeded'], 'Stopped'],
    [['Waiting', 'Waiting'], 'Waiting'],
  ])('%j -> %s', (statuses, expected) => {
    expect(deriveBatchState(jobs(...statuses), rules).status).toBe(expected);
  });

  it('keeps the times of the jobs: a batch a rule calls Failed has no end while a job runs', () => {
    const state = deriveBatchState(
      [
        { status: 'Failed', started: '2024-01-01T00:00:01Z', ended: '2024-01-01T00:00:02Z', updated: '2024-01-01T00:00:02Z' },
        { status: 'Running', started: '2024-01-01T00:00:03Z', updated: '2024-01-01T00:00:03Z' },
      ],
      rules,
    );
    expect(state).toEqual({ status: 'Failed', started: '2024-01-01T00:00:01Z', updated: '2024-01-01T00:00:03Z' });
  });
});

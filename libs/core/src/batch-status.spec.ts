import { deriveBatchState } from './batch-status';
import type { JobStatus } from './job-status';

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

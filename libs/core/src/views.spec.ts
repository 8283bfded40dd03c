import type { BatchRecord, JobRecord } from './records';
import { toBatchView, toJobView } from './views';

const job = (changes: Partial<JobRecord> = {}): JobRecord => ({
  name: 'batch-c-20240101000000-aaaaaaaa-bbbbbbbb',
  batchName: 'batch-c-20240101000000-aaaaaaaa',
  batchType: 'job',
  created: '2024-01-01T00:00:00Z',
  updated: '2024-01-01T00:00:00Z',
  status: 'Waiting',
  failed: 0,
  podStatuses: [],
  ...changes,
});

describe('toJobView', () => {
  it('shows a waiting single job without unset fields and without its internal batch', () => {
    const view = toJobView(job({ launched: false }));
    expect(view).toEqual({
      name: 'batch-c-20240101000000-aaaaaaaa-bbbbbbbb',
      created: '2024-01-01T00:00:00Z',
      updated: '2024-01-01T00:00:00Z',
      status: 'Waiting',
      failed: 0,
      podStatuses: [],
    });
    for (const unset of ['started', 'ended', 'message', 'jobId', 'batchName', 'launched']) expect(view).not.toHaveProperty(unset);
  });

  it.each([
    { batchType: 'job' as const, batchName: undefined },
    { batchType: 'batch' as const, batchName: 'batch-c-20240101000000-aaaaaaaa' },
  ])('names the batch of a job of type $batchType: $batchName', ({ batchType, batchName }) => {
    expect(toJobView(job({ batchType })).batchName).toBe(batchName);
  });

  it('shows every field of a finished job', () => {
    const podStatuses = [{ name: 'p1', podIndex: 0, exitCode: 42, replicaStatus: { status: 'Failed' as const } }];
    const view = toJobView(
      job({ jobId: 'my-job', status: 'Failed', started: '2024-01-01T00:00:05Z', ended: '2024-01-01T00:00:09Z', message: 'exit code 42', failed: 1, podStatuses }),
    );
    expect(view).toMatchObject({ jobId: 'my-job', status: 'Failed', started: '2024-01-01T00:00:05Z', ended: '2024-01-01T00:00:09Z', message: 'exit code 42', failed: 1, podStatuses });
  });
});

describe('toBatchView', () => {
  const batch: BatchRecord = { name: 'batch-c-20240101000000-aaaaaaaa', batchType: 'batch', created: '2024-01-01T00:00:00Z', jobNames: ['j1', 'j2'] };
  const jobs = [
    job({ name: 'j1', batchType: 'batch', status: 'Succeeded', started: '2024-01-01T00:00:02Z', ended: '2024-01-01T00:00:04Z', updated: '2024-01-01T00:00:04Z' }),
    job({ name: 'j2', batchType: 'batch', status: 'Running', started: '2024-01-01T00:00:03Z', updated: '2024-01-01T00:00:05Z' }),
  ];

  it('derives status and times from the jobs and lists them when asked', () => {
    expect(toBatchView({ ...batch, batchId: 'nightly' }, jobs, true)).toEqual({
      name: batch.name,
      batchName: batch.name,
      batchId: 'nightly',
      batchType: 'batch',
      created: '2024-01-01T00:00:00Z',
      started: '2024-01-01T00:00:02Z',
      updated: '2024-01-01T00:00:05Z',
      status: 'Running',
      jobStatuses: jobs.map(toJobView),
    });
  });

  it('leaves the jobs and an unset batchId out of a list entry', () => {
    const view = toBatchView(batch, jobs, false);
    expect(view).not.toHaveProperty('jobStatuses');
    expect(view).not.toHaveProperty('batchId');
    expect(view).not.toHaveProperty('ended');
  });

  it("applies the component's batchStatusRules to a batch, not to a single job's batch (as the original)", () => {
    const rules = [{ condition: 'Any' as const, operator: 'In' as const, jobStatuses: ['Running' as const], batchStatus: 'Active' as const }];
    expect(toBatchView(batch, jobs, false, rules).status).toBe('Active');
    const single: BatchRecord = { ...batch, batchType: 'job', jobNames: ['j2'] };
    expect(toBatchView(single, [job({ name: 'j2', status: 'Running' })], false, rules).status).toBe('Running');
  });

  it('has jobStatuses [] (not null) for a batch whose jobs are gone', () => {
    expect(toBatchView(batch, [], true).jobStatuses).toEqual([]);
  });
});

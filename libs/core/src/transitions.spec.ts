import { JobStatus } from './job-status';
import type { Observation, ObservationKind } from './observation';
import type { JobRecord, PodStatus } from './records';
import { applyObservation, markLaunched, mergePodStatuses, nextStatus, requestStop } from './transitions';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:00:10Z';
const T2 = '2024-01-01T00:00:20Z';

const record = (changes: Partial<JobRecord> = {}): JobRecord => ({
  name: 'job-a',
  batchName: 'batch-a',
  batchType: 'job',
  created: T0,
  updated: T0,
  status: JobStatus.Waiting,
  failed: 0,
  podStatuses: [],
  ...changes,
});
const pod = (name: string, changes: Partial<PodStatus> = {}): PodStatus => ({ name, replicaStatus: { status: 'Running' }, ...changes });
const observe = (kind: ObservationKind, at = T1, extra: Partial<Observation> = {}): Observation =>
  (kind === 'failed' ? { kind, at, message: 'it failed', ...extra } : { kind, at, ...extra }) as Observation;

describe('nextStatus: the transition table', () => {
  // Rows: current status; columns: active, running, succeeded, failed, stopped. "-" = no move.
  const table: Record<JobStatus, string> = {
    Waiting: 'Active   Running  Succeeded Failed Stopped',
    Active: '-        Running  Succeeded Failed Stopped',
    Running: 'Active   -        Succeeded Failed Stopped',
    Stopping: '-        -        Succeeded Failed Stopped',
    Succeeded: '-        -        -         -      -',
    Failed: '-        -        -         -      -',
    Stopped: '-        -        -         -      -',
  };
  const kinds: ObservationKind[] = ['active', 'running', 'succeeded', 'failed', 'stopped'];
  const cases = Object.entries(table).flatMap(([from, row]) =>
    row.split(/\s+/).map((to, i) => ({ from: from as JobStatus, kind: kinds[i], to: to === '-' ? undefined : (to as JobStatus) })),
  );

  it('covers every status and observation', () => expect(cases).toHaveLength(7 * 5));

  it.each(cases)('$from + $kind -> $to', ({ from, kind, to }) => {
    expect(nextStatus(from, observe(kind))).toBe(to);
  });
});

describe('applyObservation', () => {
  it.each([JobStatus.Succeeded, JobStatus.Failed, JobStatus.Stopped])('never changes a %s job', (status) => {
    for (const kind of ['active', 'running', 'succeeded', 'failed', 'stopped'] as const) {
      expect(applyObservation(record({ status, ended: T0 }), observe(kind, T2, { podStatuses: [pod('p')] }))).toBeUndefined();
    }
  });

  it('moves Waiting to Running, marks the job launched and sets started and updated', () => {
    expect(applyObservation(record(), observe('running'))).toEqual(record({ status: 'Running', launched: true, started: T1, updated: T1 }));
  });

  it('takes started from the first container start that the runtime reports', () => {
    const next = applyObservation(record(), observe('succeeded', T2, { podStatuses: [pod('p', { containerStarted: T1, replicaStatus: { status: 'Succeeded' } })] }));
    expect(next).toMatchObject({ status: 'Succeeded', started: T1, ended: T2, updated: T2 });
  });

  it('does not set started while no container ran', () => {
    expect(applyObservation(record(), observe('active'))).toMatchObject({ status: 'Active', launched: true });
    expect(applyObservation(record(), observe('active'))?.started).toBeUndefined();
  });

  it('keeps the first started time', () => {
    expect(applyObservation(record({ status: 'Active', started: T0, launched: true }), observe('running', T2))?.started).toBe(T0);
  });

  it('records why a job failed and when it ended', () => {
    const next = applyObservation(record({ status: 'Running', launched: true, started: T0 }), observe('failed', T2, { message: 'Job has reached the specified backoff limit' }));
    expect(next).toMatchObject({ status: 'Failed', ended: T2, message: 'Job has reached the specified backoff limit' });
  });

  it('explains a stop unless a message is already there', () => {
    expect(applyObservation(record({ status: 'Stopping', launched: true }), observe('stopped'))).toMatchObject({ status: 'Stopped', message: 'job was stopped', ended: T1 });
    expect(applyObservation(record({ status: 'Stopping', message: 'earlier' }), observe('stopped'))?.message).toBe('earlier');
  });

  it('counts failed attempts from the pod statuses', () => {
    const pods = [pod('p1', { replicaStatus: { status: 'Failed' } }), pod('p2', { replicaStatus: { status: 'Failed' } }), pod('p3')];
    expect(applyObservation(record({ status: 'Running', launched: true }), observe('running', T2, { podStatuses: pods }))?.failed).toBe(2);
  });

  it('adds pod details without a status change', () => {
    const current = record({ status: 'Running', launched: true, started: T0 });
    expect(applyObservation(current, observe('running', T2, { podStatuses: [pod('p1')] }))).toEqual({ ...current, podStatuses: [{ ...pod('p1'), podIndex: 0 }], updated: T2 });
  });

  it('ignores a replayed observation (idempotent)', () => {
    const once = applyObservation(record(), observe('running', T1, { podStatuses: [pod('p1')] }));
    expect(once).toBeDefined();
    expect(applyObservation(once!, observe('running', T2, { podStatuses: [pod('p1')] }))).toBeUndefined();
  });

  it('ignores an observation the status does not accept', () => {
    expect(applyObservation(record({ status: 'Stopping', launched: true }), observe('running'))).toBeUndefined();
  });
});

describe('mergePodStatuses', () => {
  it('keeps the current list when nothing is reported', () => {
    const current = [pod('a')];
    expect(mergePodStatuses(current, undefined)).toBe(current);
    expect(mergePodStatuses(current, [])).toBe(current);
  });

  it('merges by name in the order first seen, a later report updating its pod, and numbers them', () => {
    const current = [pod('a', { podIndex: 0 }), pod('b', { podIndex: 1 })];
    const merged = mergePodStatuses(current, [pod('c'), { ...pod('a'), replicaStatus: { status: 'Failed' }, exitCode: 1 }]);
    expect(merged).toEqual([
      { ...pod('a'), replicaStatus: { status: 'Failed' }, exitCode: 1, podIndex: 0 },
      { ...pod('b'), podIndex: 1 },
      { ...pod('c'), podIndex: 2 },
    ]);
  });
});

describe('requestStop', () => {
  it.each([
    { name: 'a job not yet launched stops at once', current: record(), expected: { status: 'Stopped', ended: T1, updated: T1, message: 'job was stopped before it started' } },
    { name: 'a Waiting job that a runtime holds is Stopping', current: record({ launched: true }), expected: { status: 'Stopping', updated: T1 } },
    { name: 'an Active job is Stopping', current: record({ status: 'Active', launched: true }), expected: { status: 'Stopping', updated: T1 } },
    { name: 'a Running job is Stopping', current: record({ status: 'Running', launched: true }), expected: { status: 'Stopping', updated: T1 } },
  ])('$name', ({ current, expected }) => {
    expect(requestStop(current, T1)).toEqual({ ...current, ...expected });
  });

  it.each([JobStatus.Stopping, JobStatus.Succeeded, JobStatus.Failed, JobStatus.Stopped])('changes nothing for a %s job', (status) => {
    expect(requestStop(record({ status, launched: true }), T1)).toBeUndefined();
  });
});

describe('markLaunched', () => {
  it.each([
    { name: 'Waiting becomes Active', current: record(), expected: { status: 'Active', launched: true, updated: T1 } },
    { name: 'a job that moved on keeps its status', current: record({ status: 'Running' }), expected: { status: 'Running', launched: true, updated: T1 } },
  ])('$name', ({ current, expected }) => {
    expect(markLaunched(current, T1)).toEqual({ ...current, ...expected });
  });

  it.each([
    { name: 'already launched', current: record({ status: 'Active', launched: true }) },
    { name: 'stopped before the launch finished', current: record({ status: 'Stopped', ended: T0 }) },
    { name: 'already succeeded', current: record({ status: 'Succeeded', ended: T0 }) },
  ])('changes nothing when $name', ({ current }) => {
    expect(markLaunched(current, T1)).toBeUndefined();
  });
});

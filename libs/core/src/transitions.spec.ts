import { JobStatus } from './job-status';
import type { Observation, ObservationKind } from './observation';
import type { JobRecord, PodStatus } from './records';
import { applyObservation, canRestart, markLaunched, mergePodStatuses, nextStatus, requestStop, restartRun } from './transitions';

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

  it.each([
    { name: 'a final report of the first run reaches a restarted job', current: record({ generation: 1 }), observation: observe('stopped', T2) },
    { name: 'an earlier run reports running', current: record({ status: 'Running', generation: 2, launched: true }), observation: observe('running', T2, { generation: 1 }) },
    { name: 'a report of a later run reaches an older record (never happens; still refused)', current: record(), observation: observe('running', T2, { generation: 1 }) },
  ])('changes nothing when $name: an observation only applies to its own run', ({ current, observation }) => {
    expect(applyObservation(current, observation)).toBeUndefined();
  });

  it('applies an observation of the run the record is at', () => {
    expect(applyObservation(record({ generation: 1 }), observe('running', T2, { generation: 1 }))).toMatchObject({ status: 'Running', generation: 1 });
  });
});

describe('restartRun: the only way out of a final status', () => {
  const attempts = [pod('a-1', { replicaStatus: { status: 'Failed' }, podIndex: 0 }), pod('a-2', { replicaStatus: { status: 'Failed' }, podIndex: 1 })];
  const finished = record({ status: 'Failed', launched: true, started: T0, ended: T1, message: 'backoff limit', failed: 2, podStatuses: attempts });

  it.each([
    { from: JobStatus.Waiting, to: JobStatus.Waiting },
    { from: JobStatus.Active, to: JobStatus.Waiting },
    { from: JobStatus.Running, to: JobStatus.Waiting },
    { from: JobStatus.Stopping, to: undefined },
    { from: JobStatus.Succeeded, to: JobStatus.Waiting },
    { from: JobStatus.Failed, to: JobStatus.Waiting },
    { from: JobStatus.Stopped, to: JobStatus.Waiting },
  ])('$from -> $to', ({ from, to }) => {
    expect(canRestart(from)).toBe(to !== undefined);
    expect(restartRun(record({ status: from }), T2)?.status).toBe(to);
  });

  it('starts the next generation, Waiting, with restart set, keeping the earlier attempts and dropping what described the earlier run', () => {
    expect(restartRun(finished, T2)).toEqual({
      name: 'job-a',
      batchName: 'batch-a',
      batchType: 'job',
      created: T0,
      updated: T2,
      status: 'Waiting',
      failed: 2,
      podStatuses: attempts,
      generation: 1,
      restart: T2,
    });
    expect(restartRun({ ...finished, generation: 4 }, T2)?.generation).toBe(5);
  });

  it('ends the attempts of the earlier run that had not ended: the restart stops them', () => {
    const running = record({ status: 'Running', launched: true, podStatuses: [pod('a-1', { replicaStatus: { status: 'Failed' }, endTime: T0 }), pod('a-2', { podIndex: 1 })] });
    expect(restartRun(running, T2)?.podStatuses).toEqual([
      pod('a-1', { replicaStatus: { status: 'Failed' }, endTime: T0 }),
      pod('a-2', { podIndex: 1, replicaStatus: { status: 'Stopped' }, endTime: T2 }),
    ]);
  });

  it('numbers the new run\'s attempts after the earlier ones', () => {
    const restarted = restartRun(finished, T2)!;
    const next = applyObservation(restarted, observe('running', T2, { generation: 1, podStatuses: [pod('a-3')] }))!;
    expect(next.podStatuses.map((p) => [p.name, p.podIndex])).toEqual([
      ['a-1', 0],
      ['a-2', 1],
      ['a-3', 2],
    ]);
    expect(next).toMatchObject({ status: 'Running', started: T2, launched: true });
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
    {
      name: 'a restarted job not yet launched again is Stopping: its earlier run may still be in the runtime',
      current: record({ generation: 1, restart: T0 }),
      expected: { status: 'Stopping', updated: T1 },
    },
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

  it('marks the run launched that the record is at', () => {
    expect(markLaunched(record({ generation: 2 }), T1, 2)).toMatchObject({ status: 'Active', launched: true });
  });

  it.each([
    { name: 'the job was restarted since (the launch is of an earlier run)', current: record({ generation: 1 }) },
    { name: 'already launched', current: record({ status: 'Active', launched: true }) },
    { name: 'stopped before the launch finished', current: record({ status: 'Stopped', ended: T0 }) },
    { name: 'already succeeded', current: record({ status: 'Succeeded', ended: T0 }) },
  ])('changes nothing when $name', ({ current }) => {
    expect(markLaunched(current, T1)).toBeUndefined();
  });
});

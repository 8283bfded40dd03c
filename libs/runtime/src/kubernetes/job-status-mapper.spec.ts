import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Observation } from '@rjs/core';
import { observeJob, podStatusOf, stoppedPodStatuses } from './job-status-mapper';
import { jobStatusFields, podStatusFields } from './status-fields';
import { makeJob, makePod } from './testing/kube-object-builders';

const NOW = new Date('2024-05-01T10:03:30.123Z');
const NOW_TEXT = '2024-05-01T10:03:30Z';
const JOB = 'batch-compute-20240501100000-abcdefgh-ijklmnop';

const pending = () => makePod('p1', JOB).createdAt('2024-05-01T10:00:01Z');
const first = () => makePod('p1', JOB).createdAt('2024-05-01T10:00:01Z').scheduledAt('2024-05-01T10:00:02Z').pulledFrom('registry.example.com/compute@sha256:aaa');
const second = () => makePod('p2', JOB).createdAt('2024-05-01T10:01:00Z').scheduledAt('2024-05-01T10:01:01Z').pulledFrom('registry.example.com/compute@sha256:aaa');

const failedPod = (name: string, exitCode: number, reason: string, ended: string) =>
  makePod(name, JOB).createdAt('2024-05-01T10:00:01Z').terminated(exitCode, reason, '2024-05-01T10:00:03Z', ended);

type Case = [description: string, job: V1Job, pods: V1Pod[], expected: Partial<Observation> & { kind: Observation['kind'] }];

const cases: Case[] = [
  ['a Job without pods yet is active', makeJob(JOB).obj(), [], { kind: 'active', at: NOW_TEXT, podStatuses: [] }],
  [
    'a pod waiting for its volume is active, Pending with the reason',
    makeJob(JOB).active(1).obj(),
    [pending().waiting('ContainerCreating').obj()],
    { kind: 'active', podStatuses: [expect.objectContaining({ name: 'p1', replicaStatus: { status: 'Pending' }, reason: 'ContainerCreating' })] },
  ],
  [
    'an image that cannot be pulled is active with the reason and message',
    makeJob(JOB).active(1).obj(),
    [first().waiting('ImagePullBackOff', 'Back-off pulling image "nope:1"').obj()],
    { kind: 'active', podStatuses: [expect.objectContaining({ reason: 'ImagePullBackOff', statusMessage: 'Back-off pulling image "nope:1"' })] },
  ],
  [
    'a running container makes the job running',
    makeJob(JOB).active(1).obj(),
    [first().running('2024-05-01T10:00:05Z').obj()],
    {
      kind: 'running',
      at: NOW_TEXT,
      podStatuses: [
        {
          name: 'p1',
          created: '2024-05-01T10:00:01Z',
          startTime: '2024-05-01T10:00:02Z',
          containerStarted: '2024-05-01T10:00:05Z',
          replicaStatus: { status: 'Running' },
          image: 'registry.example.com/compute:1.0',
          imageId: 'registry.example.com/compute@sha256:aaa',
          restartCount: 0,
        },
      ],
    },
  ],
  [
    'between attempts (first failed, second not started) the job is active, attempts in creation order',
    makeJob(JOB).backoffLimit(2).active(1).obj(),
    [second().waiting('ContainerCreating').obj(), failedPod('p1', 1, 'Error', '2024-05-01T10:00:50Z').obj()],
    {
      kind: 'active',
      podStatuses: [
        expect.objectContaining({ name: 'p1', replicaStatus: { status: 'Failed' }, exitCode: 1, reason: 'Error', endTime: '2024-05-01T10:00:50Z' }),
        expect.objectContaining({ name: 'p2', replicaStatus: { status: 'Pending' } }),
      ],
    },
  ],
  [
    'Complete is success, at the completion time',
    makeJob(JOB).complete('2024-05-01T10:02:00Z').obj(),
    [first().terminated(0, 'Completed', '2024-05-01T10:00:05Z', '2024-05-01T10:01:59Z').obj()],
    {
      kind: 'succeeded',
      at: '2024-05-01T10:02:00Z',
      podStatuses: [
        expect.objectContaining({
          replicaStatus: { status: 'Succeeded' },
          exitCode: 0,
          reason: 'Completed',
          containerStarted: '2024-05-01T10:00:05Z',
          endTime: '2024-05-01T10:01:59Z',
        }),
      ],
    },
  ],
  [
    'SuccessCriteriaMet alone is not final yet (the pod still terminates)',
    makeJob(JOB).condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods').obj(),
    [first().running('2024-05-01T10:00:05Z').obj()],
    { kind: 'running' },
  ],
  [
    'FailureTarget alone is not final yet (pods are being killed)',
    makeJob(JOB).condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline').obj(),
    [first().running('2024-05-01T10:00:05Z').obj()],
    { kind: 'running' },
  ],
  [
    'BackoffLimitExceeded fails with the limit in words',
    makeJob(JOB).backoffLimit(1).failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit', '2024-05-01T10:03:00Z').obj(),
    [failedPod('p1', 1, 'Error', '2024-05-01T10:01:00Z').obj(), failedPod('p2', 2, 'Error', '2024-05-01T10:02:59Z').createdAt('2024-05-01T10:01:05Z').obj()],
    {
      kind: 'failed',
      at: '2024-05-01T10:03:00Z',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      podStatuses: [expect.objectContaining({ name: 'p1', exitCode: 1 }), expect.objectContaining({ name: 'p2', exitCode: 2 })],
    },
  ],
  [
    'DeadlineExceeded fails with the deadline in words',
    makeJob(JOB).failed('DeadlineExceeded', 'Job was active longer than specified deadline').obj(),
    [failedPod('p1', 143, 'Error', '2024-05-01T10:04:59Z').obj()],
    { kind: 'failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
  ],
  [
    'PodFailurePolicy names the exit code the controller matched',
    makeJob(JOB)
      .backoffLimit(3)
      .failed('PodFailurePolicy', 'Container compute for pod jobs/p1 failed with exit code 42 matching FailJob rule at index 0')
      .obj(),
    // p2 ended later with another code: the message of the controller decides.
    [failedPod('p1', 42, 'Error', '2024-05-01T10:01:00Z').obj(), failedPod('p2', 1, 'Error', '2024-05-01T10:02:00Z').obj()],
    { kind: 'failed', reason: 'PodFailurePolicy', message: 'Job failed: the failure policy matched exit code 42' },
  ],
  [
    'PodFailurePolicy without a code in the message takes it from the last failed attempt',
    makeJob(JOB).failed('PodFailurePolicy', 'matched a rule').obj(),
    [failedPod('p1', 7, 'Error', '2024-05-01T10:01:00Z').obj()],
    { kind: 'failed', message: 'Job failed: the failure policy matched exit code 7' },
  ],
  [
    'an attempt killed for memory says so',
    makeJob(JOB).failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit').obj(),
    [failedPod('p1', 137, 'OOMKilled', '2024-05-01T10:01:00Z').obj()],
    {
      kind: 'failed',
      message: 'Job has reached the specified backoff limit; the container ran out of memory (OOMKilled)',
      podStatuses: [expect.objectContaining({ exitCode: 137, reason: 'OOMKilled', replicaStatus: { status: 'Failed' } })],
    },
  ],
  [
    'an unknown failure reason keeps the controller message',
    makeJob(JOB).failed('MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes').obj(),
    [],
    { kind: 'failed', reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' },
  ],
  [
    'an evicted pod (no container status) is a failed attempt with the pod reason',
    makeJob(JOB).active(0).obj(),
    [makePod('p1', JOB).podFailed('Evicted', 'The node was low on resource: memory.').obj()],
    { kind: 'active', podStatuses: [expect.objectContaining({ replicaStatus: { status: 'Failed' }, reason: 'Evicted', statusMessage: 'The node was low on resource: memory.' })] },
  ],
  [
    'a Job without a run label reports the first run',
    makeJob(JOB).active(1).obj(),
    [],
    { kind: 'active', generation: 0 },
  ],
  [
    'a restarted job\'s Job reports its run, so that its reports never reach another run',
    makeJob(JOB).ofRun(2).complete('2024-05-01T10:02:00Z').obj(),
    [first().terminated(0, 'Completed', '2024-05-01T10:00:05Z', '2024-05-01T10:01:59Z').obj()],
    { kind: 'succeeded', generation: 2 },
  ],
  [
    'a restarted container reports its restart count',
    makeJob(JOB).active(1).obj(),
    [first().running('2024-05-01T10:00:05Z').restarts(2).obj()],
    { kind: 'running', podStatuses: [expect.objectContaining({ restartCount: 2 })] },
  ],
];

describe('observeJob', () => {
  it.each(cases)('%s', (_description, job, pods, expected) => {
    expect(observeJob(job, pods, NOW)).toMatchObject(expected);
  });

  // The watcher's caches keep only some fields of each object (status-fields.ts): the mapper must see the same.
  it.each(cases)('maps the cached fields alike: %s', (_description, job, pods) => {
    const stoppedFromCache = stoppedPodStatuses(pods.map(podStatusFields));
    expect(observeJob(jobStatusFields(job), pods.map(podStatusFields), NOW)).toEqual(observeJob(job, pods, NOW));
    expect(stoppedFromCache).toEqual(stoppedPodStatuses(pods));
  });

  it('reads raw watch JSON (RFC3339 strings) the same as deserialized list objects (Date)', () => {
    const job = makeJob(JOB).complete('2024-05-01T10:02:00Z').obj();
    const pod = first().terminated(0, 'Completed', '2024-05-01T10:00:05Z', '2024-05-01T10:01:59Z').obj();
    const raw = (o: object) => JSON.parse(JSON.stringify(o));
    expect(observeJob(raw(job), [raw(pod)], NOW)).toEqual(observeJob(job, [pod], NOW));
  });

  it('omits the fields Kubernetes has not set yet', () => {
    expect(podStatusOf(makePod('p1', JOB).obj())).toEqual({ name: 'p1', created: '2024-05-01T10:00:01Z', replicaStatus: { status: 'Pending' }, image: 'registry.example.com/compute:1.0' });
  });
});

describe('stoppedPodStatuses', () => {
  it('marks attempts that had not ended as Stopped and keeps ended ones', () => {
    const statuses = stoppedPodStatuses([second().running('2024-05-01T10:01:05Z').obj(), failedPod('p1', 1, 'Error', '2024-05-01T10:00:50Z').obj()]);
    expect(statuses.map((s) => [s.name, s.replicaStatus.status])).toEqual([
      ['p1', 'Failed'],
      ['p2', 'Stopped'],
    ]);
  });
});

import { buildJobManifest } from './job-manifest';
import { jobStatusFields, podStatusFields } from './status-fields';
import { DEFAULT_NODE_TYPE_MAPPING } from './node-types';
import { LabelKey } from './labels';
import { makeJob, makePod, resolvedJob } from './testing/kube-object-builders';

// Whether the mapper sees the same through these: job-status-mapper.spec.ts ("maps the cached fields alike").
describe('the fields the watcher caches', () => {
  it('keeps what identifies a Job and its status, not its pod template', () => {
    const job = makeJob('j1').complete('2024-05-01T10:02:00Z').obj();
    const kept = jobStatusFields(job);
    expect(kept.metadata).toEqual({
      name: job.metadata!.name,
      ...(job.metadata!.uid ? { uid: job.metadata!.uid } : {}),
      ...(job.metadata!.resourceVersion ? { resourceVersion: job.metadata!.resourceVersion } : {}),
      labels: expect.objectContaining({ [LabelKey.jobName]: job.metadata!.labels![LabelKey.jobName] }),
      ...(job.metadata!.creationTimestamp ? { creationTimestamp: job.metadata!.creationTimestamp } : {}),
    });
    expect(kept.spec).toBeUndefined();
    expect(kept.status?.conditions?.map((c) => c.type)).toEqual(job.status?.conditions?.map((c) => c.type));
  });

  it('keeps of a pod its first container name and image, and the container states', () => {
    const pod = makePod('p1', 'j1').createdAt('2024-05-01T10:00:01Z').running('2024-05-01T10:00:05Z').obj();
    const kept = podStatusFields(pod);
    expect(kept.spec).toEqual({ containers: [{ name: pod.spec!.containers[0].name, image: pod.spec!.containers[0].image }] });
    expect(kept.status?.containerStatuses?.[0].state).toEqual({ running: { startedAt: pod.status!.containerStatuses![0].state!.running!.startedAt } });
    // The labels the runtime reads; not those Kubernetes adds (controller-uid, job-name...).
    expect(Object.keys(kept.metadata?.labels ?? {}).every((key) => Object.values(LabelKey).includes(key as never))).toBe(true);
    expect(kept.metadata?.labels?.[LabelKey.jobName]).toBe(pod.metadata?.labels?.[LabelKey.jobName]);
  });

  it('makes a Job as this scheduler creates it several times smaller', () => {
    const job = buildJobManifest(
      resolvedJob({ hasPayload: true }),
      { namespace: 'jobs', nodeTypes: DEFAULT_NODE_TYPE_MAPPING },
      true,
    );
    const size = (o: object) => JSON.stringify(o).length;
    expect(size(jobStatusFields(job)) * 3).toBeLessThan(size(job));
  });
});

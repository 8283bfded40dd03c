import type { V1Job } from '@kubernetes/client-node';
import type { ResolvedJob } from '@rjs/core';
import { buildJobManifest, buildPayloadSecret, ManifestError, type ManifestOptions } from './job-manifest';
import { DEFAULT_NODE_TYPE_MAPPING, PlacementError } from './node-types';
import { RESOLVED_JOB_NAME, resolvedJob } from './testing/kube-object-builders';

const NAME = RESOLVED_JOB_NAME;
const job = resolvedJob;

const OPTIONS: ManifestOptions = { namespace: 'jobs', ttlSecondsAfterFinished: 3600, nodeTypes: DEFAULT_NODE_TYPE_MAPPING };

function manifest(overrides: Partial<ResolvedJob> = {}, options: Partial<ManifestOptions> = {}, withPayload = false): V1Job {
  return buildJobManifest(job(overrides), { ...OPTIONS, ...options }, withPayload);
}

const podSpec = (m: V1Job) => m.spec!.template.spec!;
const container = (m: V1Job) => podSpec(m).containers[0];
const nodeSelectorTerms = (m: V1Job) => podSpec(m).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
const matchExpressions = (m: V1Job) => nodeSelectorTerms(m)?.[0].matchExpressions;
const LINUX = { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] };
const arch = (architecture: string) => ({ key: 'kubernetes.io/arch', operator: 'In', values: [architecture] });
/** An operator's arm64 node pool (KUBE_NODE_TYPES_FILE) that names its architecture itself. */
const ARM_POOL: Partial<ManifestOptions> = {
  nodeTypes: { ...DEFAULT_NODE_TYPE_MAPPING, nodeTypes: { graviton: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] } } },
};

const LABELS = {
  'radix-job-scheduler/managed-by': 'radix-job-scheduler',
  'radix-job-scheduler/component': 'compute',
  'radix-job-scheduler/batch-name': 'batch-compute-20240501100000-abcdefgh',
  'radix-job-scheduler/job-name': NAME,
  'radix-job-scheduler/batch-type': 'batch',
  'radix-job-scheduler/generation': '0',
};

type Case = [description: string, built: () => V1Job, read: (m: V1Job) => unknown, expected: unknown];

const cases: Case[] = [
  ['names the Job as the job, in the namespace', () => manifest(), (m) => [m.metadata?.name, m.metadata?.namespace], [NAME, 'jobs']],
  ['labels the Job with service, component, batch and job', () => manifest(), (m) => m.metadata?.labels, LABELS],
  ['labels the pod template the same', () => manifest(), (m) => m.spec?.template.metadata?.labels, LABELS],
  [
    'labels a restarted job\'s Job and pods with its run, keeping the name',
    () => manifest({ generation: 3 }),
    (m) => [m.metadata?.name, m.metadata?.labels?.['radix-job-scheduler/generation'], m.spec?.template.metadata?.labels?.['radix-job-scheduler/generation']],
    [NAME, '3', '3'],
  ],
  ['keeps the free-text jobId as an annotation', () => manifest({ jobId: 'my job #1' }), (m) => m.metadata?.annotations, { 'radix-job-scheduler/job-id': 'my job #1' }],
  ['never restarts a container in place', () => manifest(), (m) => podSpec(m).restartPolicy, 'Never'],
  ['sets backoffLimit', () => manifest({ backoffLimit: 3 }), (m) => m.spec?.backoffLimit, 3],
  ['turns timeLimitSeconds into activeDeadlineSeconds', () => manifest({ timeLimitSeconds: 120 }), (m) => m.spec?.activeDeadlineSeconds, 120],
  ['sets ttlSecondsAfterFinished from the options', () => manifest(), (m) => m.spec?.ttlSecondsAfterFinished, 3600],
  ['leaves ttlSecondsAfterFinished out when unset', () => manifest({}, { ttlSecondsAfterFinished: undefined }), (m) => 'ttlSecondsAfterFinished' in m.spec!, false],
  [
    'turns failurePolicy into podFailurePolicy on the container, exit codes sorted and unique',
    () =>
      manifest({
        failurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { operator: 'In', values: [42, 3, 42] } },
            { action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [1, 0] } },
          ],
        },
      }),
    (m) => m.spec?.podFailurePolicy,
    {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'compute', operator: 'In', values: [3, 42] } },
        { action: 'Ignore', onExitCodes: { containerName: 'compute', operator: 'NotIn', values: [0, 1] } },
      ],
    },
  ],
  ['has no podFailurePolicy without a failurePolicy', () => manifest(), (m) => m.spec?.podFailurePolicy, undefined],
  ['runs the image of the job component', () => manifest(), (m) => container(m).image, 'registry.example.com/compute:1.0'],
  ['replaces the tag with imageTagName', () => manifest({ imageTagName: '2.0' }), (m) => container(m).image, 'registry.example.com/compute:2.0'],
  ['keeps a registry port when replacing the tag', () => manifest({ image: 'localhost:5000/team/compute', imageTagName: 'v2' }), (m) => container(m).image, 'localhost:5000/team/compute:v2'],
  ['drops a digest when replacing the tag', () => manifest({ image: 'localhost:5000/compute:1@sha256:abc', imageTagName: 'v2' }), (m) => container(m).image, 'localhost:5000/compute:v2'],
  ['fills an {imageTagName} placeholder', () => manifest({ image: 'registry/compute:{imageTagName}', imageTagName: '3.1' }), (m) => container(m).image, 'registry/compute:3.1'],
  [
    'passes variables as env (sorted), then RADIX_JOB_NAME and JOB_PAYLOAD_FILE',
    () => manifest({ variables: { B: '2', A: '1' } }),
    (m) => container(m).env,
    [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'RADIX_JOB_NAME', value: NAME },
      { name: 'JOB_PAYLOAD_FILE', value: '/compute/args/payload' },
    ],
  ],
  [
    'does not let a variable override RADIX_JOB_NAME',
    () => manifest({ variables: { RADIX_JOB_NAME: 'spoofed' } }),
    (m) => container(m).env?.filter((e) => e.name === 'RADIX_JOB_NAME'),
    [{ name: 'RADIX_JOB_NAME', value: NAME }],
  ],
  ['sets no JOB_PAYLOAD_FILE without a payload path', () => manifest({ payloadPath: undefined }), (m) => container(m).env?.map((e) => e.name), ['RADIX_JOB_NAME']],
  ['leaves command and args unset when nothing configures them (image ENTRYPOINT/CMD)', () => manifest(), (m) => [container(m).command, container(m).args], [undefined, undefined]],
  ['leaves command and args out when set to [] (a deliberate suppression)', () => manifest({ command: [], args: [] }), (m) => ['command' in container(m), 'args' in container(m)], [false, false]],
  ['sets command and args when given', () => manifest({ command: ['python', 'run.py'], args: ['--fast'] }), (m) => [container(m).command, container(m).args], [['python', 'run.py'], ['--fast']]],
  [
    'sets resource requests and limits as given',
    () => manifest({ resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } }),
    (m) => container(m).resources,
    { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  ],
  ['sets no resources when none are given', () => manifest(), (m) => container(m).resources, undefined],
  [
    'mounts the payload Secret read-only at payload.path',
    () => manifest({ hasPayload: true }, {}, true),
    (m) => [podSpec(m).volumes, container(m).volumeMounts],
    [[{ name: 'payload', secret: { secretName: `${NAME}-payload` } }], [{ name: 'payload', mountPath: '/compute/args', readOnly: true }]],
  ],
  ['mounts nothing without a payload', () => manifest(), (m) => [podSpec(m).volumes, container(m).volumeMounts], [undefined, undefined]],
  ['does not hand the job an API token', () => manifest(), (m) => podSpec(m).automountServiceAccountToken, false],
  [
    'hardens the job pod by default: no privilege escalation, every capability dropped, RuntimeDefault seccomp',
    () => manifest(),
    (m) => [podSpec(m).securityContext, container(m).securityContext],
    [{ seccompProfile: { type: 'RuntimeDefault' } }, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }],
  ],
  [
    'keeps the hardening whatever the job asks (a request has no say in it)',
    () => manifest({ command: ['sudo', 'run'], variables: { SECCOMP: 'Unconfined' }, resources: { limits: { cpu: '2' } } }),
    (m) => [podSpec(m).securityContext, container(m).securityContext],
    [{ seccompProfile: { type: 'RuntimeDefault' } }, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }],
  ],
  [
    'lets the configuration allow privilege escalation',
    () => manifest({}, { podSecurity: { allowPrivilegeEscalation: true } }),
    (m) => [podSpec(m).securityContext, container(m).securityContext],
    [{ seccompProfile: { type: 'RuntimeDefault' } }, { allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } }],
  ],
  [
    'lets the configuration add capabilities back after dropping ALL',
    () => manifest({}, { podSecurity: { capabilitiesAdd: ['NET_BIND_SERVICE', 'CHOWN'] } }),
    (m) => container(m).securityContext,
    { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'CHOWN'] } },
  ],
  [
    'lets the configuration choose another seccomp profile',
    () => manifest({}, { podSecurity: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/jobs.json' } } }),
    (m) => podSpec(m).securityContext,
    { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/jobs.json' } },
  ],
  [
    'lets the configuration run the pod Unconfined',
    () => manifest({}, { podSecurity: { seccompProfile: { type: 'Unconfined' } } }),
    (m) => podSpec(m).securityContext,
    { seccompProfile: { type: 'Unconfined' } },
  ],
  [
    'places a runtime.nodeType on its nodes (radix-nodetype label and taint)',
    () => manifest({ runtime: { nodeType: 'memory-optimized-2-v1' } }),
    (m) => [matchExpressions(m), podSpec(m).tolerations],
    [
      [{ key: 'radix-nodetype', operator: 'In', values: ['memory-optimized-2-v1'] }, LINUX, arch('amd64')],
      [{ key: 'radix-nodetype', operator: 'Equal', value: 'memory-optimized-2-v1', effect: 'NoSchedule' }],
    ],
  ],
  [
    'places the older node {gpu, gpuCount} on GPU nodes and requests the GPUs',
    () => manifest({ node: { gpu: 'gpu1, GPU2, -gpu3', gpuCount: '6' } }),
    (m) => [matchExpressions(m), podSpec(m).tolerations, container(m).resources?.limits],
    [
      [
        { key: 'radix-node-gpu-count', operator: 'Gt', values: ['5'] },
        { key: 'radix-node-gpu', operator: 'In', values: ['gpu1', 'gpu2'] },
        { key: 'radix-node-gpu', operator: 'NotIn', values: ['gpu3'] },
        LINUX,
        arch('amd64'),
      ],
      [{ key: 'radix-node-gpu-count', operator: 'Exists', effect: 'NoSchedule' }],
      { 'nvidia.com/gpu': '6' },
    ],
  ],
  [
    'lets runtime.nodeType win over the older gpu form',
    () => manifest({ runtime: { nodeType: 'gpu-nvidia-1-v1' }, node: { gpu: 'gpu1', gpuCount: '1' } }),
    (m) => matchExpressions(m),
    [{ key: 'radix-nodetype', operator: 'In', values: ['gpu-nvidia-1-v1'] }, LINUX, arch('amd64')],
  ],
  ['selects runtime.architecture through kubernetes.io/arch, on Linux nodes', () => manifest({ runtime: { architecture: 'arm64' } }), (m) => matchExpressions(m), [LINUX, arch('arm64')]],
  [
    'places a job that names no architecture on linux/amd64 nodes by node affinity, as Radix does, with no tolerations',
    () => manifest(),
    (m) => [podSpec(m).affinity, podSpec(m).tolerations],
    [{ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [LINUX, arch('amd64')] }] } } }, undefined],
  ],
  ["takes the component's architecture as the default", () => manifest({}, { defaultArchitecture: 'arm64' }), (m) => matchExpressions(m), [LINUX, arch('arm64')]],
  ["lets the job's own architecture override the component's", () => manifest({ runtime: { architecture: 'amd64' } }, { defaultArchitecture: 'arm64' }), (m) => matchExpressions(m), [LINUX, arch('amd64')]],
  [
    'keeps node type and platform in one nodeSelectorTerm (separate terms would be alternatives)',
    () => manifest({ runtime: { nodeType: 'gpu-nvidia-1-v1', architecture: 'arm64' } }),
    (m) => nodeSelectorTerms(m),
    [{ matchExpressions: [{ key: 'radix-nodetype', operator: 'In', values: ['gpu-nvidia-1-v1'] }, LINUX, arch('arm64')] }],
  ],
  ['leaves the architecture to a configured node type that names it (no amd64 default)', () => manifest({ runtime: { nodeType: 'graviton' } }, ARM_POOL), (m) => matchExpressions(m), [arch('arm64'), LINUX]],
  ['accepts a job architecture the configured node type admits', () => manifest({ runtime: { nodeType: 'graviton', architecture: 'arm64' } }, ARM_POOL), (m) => matchExpressions(m), [arch('arm64'), LINUX, arch('arm64')]],
  [
    'leaves OS and architecture to a configured default placement that names them',
    () =>
      manifest(
        {},
        { nodeTypes: { ...DEFAULT_NODE_TYPE_MAPPING, default: { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }, arch('arm64')], tolerations: [], limits: {} } } },
      ),
    (m) => matchExpressions(m),
    [LINUX, arch('arm64')],
  ],
  [
    'follows an operator-configured node type, GPU limits included',
    () =>
      manifest(
        { runtime: { nodeType: 'a100' } },
        { nodeTypes: { ...DEFAULT_NODE_TYPE_MAPPING, nodeTypes: { a100: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['a100'] }], limits: { 'nvidia.com/gpu': '1' } } } } },
      ),
    (m) => [matchExpressions(m), podSpec(m).tolerations, container(m).resources?.limits],
    [[{ key: 'pool', operator: 'In', values: ['a100'] }, LINUX, arch('amd64')], [{ key: 'radix-nodetype', operator: 'Equal', value: 'a100', effect: 'NoSchedule' }], { 'nvidia.com/gpu': '1' }],
  ],
  [
    'lets a GPU limit the job sets itself win over the mapping',
    () => manifest({ node: { gpu: 'gpu1', gpuCount: '2' }, resources: { limits: { 'nvidia.com/gpu': '1' } } }),
    (m) => container(m).resources?.limits,
    { 'nvidia.com/gpu': '1' },
  ],
  ['names the container after the component as a DNS label', () => manifest({ component: 'My_Component' }), (m) => container(m).name, 'my-component'],
];

describe('buildJobManifest', () => {
  it.each(cases)('%s', (_description, built, read, expected) => {
    expect(read(built())).toEqual(expected);
  });

  it.each([
    ['no image', { image: undefined }, ManifestError],
    ['an {imageTagName} placeholder without an imageTagName', { image: 'registry/compute:{imageTagName}' }, ManifestError],
    ['a gpuCount that is not a positive whole number', { node: { gpu: 'gpu1', gpuCount: 'two' } }, PlacementError],
  ])('refuses a job with %s', (_description, overrides, error) => {
    expect(() => manifest(overrides as Partial<ResolvedJob>)).toThrow(error);
  });

  it('refuses an architecture that the configured node type excludes, saying why', () => {
    expect(() => manifest({ runtime: { nodeType: 'graviton', architecture: 'amd64' } }, ARM_POOL)).toThrow(
      new PlacementError('runtime.architecture amd64 contradicts the configured placement kubernetes.io/arch In [arm64]'),
    );
  });

  it('is pure: the same job gives the same manifest', () => {
    expect(manifest({ variables: { A: '1' } })).toEqual(manifest({ variables: { A: '1' } }));
  });
});

describe('buildPayloadSecret', () => {
  it('holds the payload (base64) under the key `payload`, labelled, owned by its Job', () => {
    const secret = buildPayloadSecret(job(), '{"x": "æøå"}', { name: NAME, uid: 'uid-1' }, 'jobs');
    expect(secret.metadata?.name).toBe(`${NAME}-payload`);
    expect(Buffer.from(secret.data!.payload, 'base64').toString('utf8')).toBe('{"x": "æøå"}');
    expect(secret.metadata?.labels).toEqual(LABELS);
    expect(secret.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: NAME, uid: 'uid-1', controller: true, blockOwnerDeletion: false }]);
  });
});

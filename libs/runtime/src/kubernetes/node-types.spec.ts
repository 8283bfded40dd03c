import { DEFAULT_NODE_TYPE_MAPPING, gpuLists, parseNodeTypeMapping, PlacementError, placementFor } from './node-types';

const EXAMPLE = `
nodeTypes:
  gpu-nvidia-1-v1:
    nodeSelector: { radix-nodetype: gpu-nvidia-1-v1 }
    tolerations:
      - { key: radix-nodetype, operator: Equal, value: gpu-nvidia-1-v1, effect: NoSchedule }
    limits: { nvidia.com/gpu: 1 }
  memory-optimized-2-v1:
gpu:
  resource: ""
default:
  matchExpressions:
    - { key: nodepooltasks, operator: Exists }
  tolerations:
    - { key: nodepooltasks, operator: Exists, effect: NoSchedule }
`;

describe('parseNodeTypeMapping', () => {
  it('gives the Radix defaults for an empty file', () => {
    expect(parseNodeTypeMapping('')).toEqual({ mapping: DEFAULT_NODE_TYPE_MAPPING, problems: [] });
  });

  it('reads node types, the GPU form and the default placement', () => {
    const { mapping, problems } = parseNodeTypeMapping(EXAMPLE);
    expect(problems).toEqual([]);
    expect(mapping.nodeTypes['gpu-nvidia-1-v1']).toEqual({
      matchExpressions: [{ key: 'radix-nodetype', operator: 'In', values: ['gpu-nvidia-1-v1'] }],
      tolerations: [{ key: 'radix-nodetype', operator: 'Equal', value: 'gpu-nvidia-1-v1', effect: 'NoSchedule' }],
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(mapping.nodeTypes['memory-optimized-2-v1']).toEqual({});
    expect(mapping.gpu).toEqual({ ...DEFAULT_NODE_TYPE_MAPPING.gpu, resource: '' });
    expect(mapping.default).toEqual({
      matchExpressions: [{ key: 'nodepooltasks', operator: 'Exists' }],
      tolerations: [{ key: 'nodepooltasks', operator: 'Exists', effect: 'NoSchedule' }],
      limits: {},
    });
  });

  it.each([
    ['not YAML', 'nodeTypes: [', /not valid YAML/],
    ['not a map', '- a', /the document must be a map/],
    ['a misspelt field', 'nodeType: {}', /nodeType is not a known field/],
    ['a misspelt field in a node type', 'nodeTypes: { t1: { toleration: [] } }', /nodeTypes\.t1\.toleration is not a known field/],
    ['a bad selector operator', 'nodeTypes: { t1: { matchExpressions: [{ key: k, operator: Equals }] } }', /nodeTypes\.t1\.matchExpressions\[0\]\.operator must be one of/],
    ['a bad taint effect', 'default: { tolerations: [{ key: k, operator: Exists, effect: Never }] }', /default\.tolerations\[0\]\.effect must be one of/],
    ['tolerations that are not a list', 'gpu: { tolerations: { key: k } }', /gpu\.tolerations must be a list/],
  ])('names the problem for %s', (_description, text, problem) => {
    expect(parseNodeTypeMapping(text).problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it('lists every problem at once', () => {
    expect(parseNodeTypeMapping('nodeTypez: 1\ngpu: { resource: 3 }').problems).toHaveLength(2);
  });
});

describe('placementFor', () => {
  const { mapping } = parseNodeTypeMapping(EXAMPLE);

  it('requests no GPU resource when gpu.resource is empty', () => {
    expect(placementFor({ node: { gpu: 'gpu1', gpuCount: '2' } }, mapping).limits).toEqual({});
  });

  it('uses the default placement for a job that asks for nothing, on linux/amd64 nodes', () => {
    expect(placementFor({}, mapping).matchExpressions).toEqual([
      { key: 'nodepooltasks', operator: 'Exists' },
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
    ]);
  });

  it.each([
    ['no architecture, amd64 by default', {}, undefined, 'amd64'],
    ["no architecture, the component's default", {}, 'arm64', 'arm64'],
    ["the job's own over the default", { runtime: { architecture: 'amd64' } }, 'arm64', 'amd64'],
    ['a node type without one, the default', { runtime: { nodeType: 'memory-optimized-2-v1' } }, 'arm64', 'arm64'],
  ])('selects the architecture: %s', (_description, job, defaultArchitecture, expected) => {
    expect(placementFor(job, DEFAULT_NODE_TYPE_MAPPING, defaultArchitecture).matchExpressions.filter((r) => r.key === 'kubernetes.io/arch')).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: [expected] },
    ]);
  });

  it.each([
    ['In without it', { operator: 'In', values: ['arm64'] }],
    ['NotIn with it', { operator: 'NotIn', values: ['amd64'] }],
    ['DoesNotExist', { operator: 'DoesNotExist' }],
  ])('refuses a job architecture a configured placement excludes: %s', (_description, requirement) => {
    const pinned = { ...DEFAULT_NODE_TYPE_MAPPING, default: { matchExpressions: [{ key: 'kubernetes.io/arch', ...requirement }], tolerations: [], limits: {} } };
    expect(() => placementFor({ runtime: { architecture: 'amd64' } }, pinned)).toThrow(PlacementError);
  });

  it('requests one GPU when the older form gives no count', () => {
    expect(placementFor({ node: { gpu: 'gpu1' } }, DEFAULT_NODE_TYPE_MAPPING)).toEqual({
      matchExpressions: [
        { key: 'radix-node-gpu', operator: 'In', values: ['gpu1'] },
        { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      ],
      tolerations: [{ key: 'radix-node-gpu-count', operator: 'Exists', effect: 'NoSchedule' }],
      limits: { 'nvidia.com/gpu': '1' },
    });
  });

  it('ignores a gpuCount without gpu names, as radix-operator does', () => {
    expect(placementFor({ node: { gpuCount: '2' } }, DEFAULT_NODE_TYPE_MAPPING)).toEqual({
      matchExpressions: [
        { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      ],
      tolerations: [],
      limits: {},
    });
  });
});

describe('gpuLists', () => {
  it.each([
    ['', [], []],
    ['gpu1', ['gpu1'], []],
    [' GPU1 , gpu2,,-gpu3, - gpu4, -', ['gpu1', 'gpu2'], ['gpu3', 'gpu4']],
  ])('%j', (gpu, include, exclude) => {
    expect(gpuLists(gpu)).toEqual({ include, exclude });
  });
});

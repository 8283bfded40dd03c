import { validateJob } from './validation';

const AT = 'spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';

/** A Job whose pod requires these nodeSelectorTerms. */
const jobWithTerms = (nodeSelectorTerms: unknown[]) => ({
  metadata: { name: 'j' },
  spec: {
    template: {
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'i' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
      },
    },
  },
});

describe("the fake API server's node affinity validation (as kube-apiserver's)", () => {
  it('accepts what the scheduler sends: one term of In, NotIn, Exists and Gt requirements', () => {
    const term = {
      matchExpressions: [
        { key: 'radix-nodetype', operator: 'In', values: ['gpu-nvidia-1-v1'] },
        { key: 'radix-node-gpu', operator: 'NotIn', values: ['gpu3'] },
        { key: 'nodepooltasks', operator: 'Exists' },
        { key: 'radix-node-gpu-count', operator: 'Gt', values: ['1'] },
        { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      ],
    };
    expect(validateJob(jobWithTerms([term]))).toEqual([]);
  });

  it.each([
    ['no term', [], { field: AT, message: 'Required value: must have at least one node selector term' }],
    [
      'In without values',
      [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [] }] }],
      { field: `${AT}[0].matchExpressions[0].values`, message: "Required value: must be specified when `operator` is 'In' or 'NotIn'" },
    ],
    [
      'Exists with values',
      [{ matchExpressions: [{ key: 'pool', operator: 'Exists', values: ['x'] }] }],
      { field: `${AT}[0].matchExpressions[0].values`, message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'" },
    ],
    [
      'Gt with two values',
      [{ matchExpressions: [{ key: 'count', operator: 'Gt', values: ['1', '2'] }] }],
      { field: `${AT}[0].matchExpressions[0].values`, message: "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'" },
    ],
    [
      'an unknown operator',
      [{}, { matchExpressions: [{ key: 'pool', operator: 'Equals', values: ['x'] }] }],
      { field: `${AT}[1].matchExpressions[0].operator`, message: 'Invalid value: "Equals": not a valid selector operator' },
    ],
    [
      'a key that is no label name',
      [{ matchExpressions: [{ key: 'node type', operator: 'Exists' }] }],
      { field: `${AT}[0].matchExpressions[0].key`, message: expect.stringMatching(/^Invalid value: "node type": /) },
    ],
  ])('refuses %s', (_description, terms, cause) => {
    expect(validateJob(jobWithTerms(terms))).toEqual([cause]);
  });
});

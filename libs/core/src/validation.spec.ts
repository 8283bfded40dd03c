import { isPayloadGiven, MAX_PAYLOAD_BYTES, type ResolvedJob, type Resources } from './job-spec';
import { checkResolvedJob } from './validation';

const job = (changes: Partial<ResolvedJob> = {}): ResolvedJob => ({
  name: 'batch-c-20230220101417-aaaaaaaa-bbbbbbbb',
  batchName: 'batch-c-20230220101417-aaaaaaaa',
  batchType: 'job',
  component: 'c',
  timeLimitSeconds: 43200,
  backoffLimit: 0,
  resources: {},
  variables: {},
  payloadPath: '/c/args',
  hasPayload: false,
  ...changes,
});

describe('checkResolvedJob: payload', () => {
  it.each([
    { name: 'no payload', payloadPath: undefined, payload: undefined, problems: [] },
    { name: 'a payload with a payload.path', payloadPath: '/c/args', payload: '{"x":1}', problems: [] },
    {
      name: 'a payload without a payload.path',
      payloadPath: undefined,
      payload: 'x',
      problems: [{ path: 'payload', message: 'is not accepted: job component c has no payload.path' }],
    },
    { name: 'exactly 1 MB', payloadPath: '/c/args', payload: 'x'.repeat(MAX_PAYLOAD_BYTES), problems: [] },
    {
      name: 'one byte over 1 MB',
      payloadPath: '/c/args',
      payload: 'x'.repeat(MAX_PAYLOAD_BYTES + 1),
      problems: [{ path: 'payload', message: 'must be at most 1048576 bytes' }],
    },
    {
      name: 'bytes, not characters, count (2-byte é)',
      payloadPath: '/c/args',
      payload: 'é'.repeat(MAX_PAYLOAD_BYTES / 2 + 1),
      problems: [{ path: 'payload', message: 'must be at most 1048576 bytes' }],
    },
  ])('$name', ({ payloadPath, payload, problems }) => {
    expect(checkResolvedJob(job({ payloadPath }), payload, '')).toEqual(problems);
  });

  it('prefixes the paths of a batch item', () => {
    expect(checkResolvedJob(job({ payloadPath: undefined }), 'x', 'jobScheduleDescriptions[3]')).toEqual([
      { path: 'jobScheduleDescriptions[3].payload', message: expect.stringContaining('no payload.path') },
    ]);
  });
});

describe('isPayloadGiven: what counts as a payload', () => {
  it.each([
    [undefined, false],
    ['', false],
    [' ', false],
    [' \t\r\n ', false],
    ['x', true],
    ['  {"x": 1}  ', true],
    ['0', true],
  ])('%j -> %s', (payload, given) => {
    expect(isPayloadGiven(payload)).toBe(given);
  });
});

describe('checkResolvedJob: resources', () => {
  it.each<{ name: string; resources: Resources; paths: string[] }>([
    { name: 'nothing set', resources: {}, paths: [] },
    { name: 'requests below limits', resources: { limits: { cpu: '300m', memory: '32Mi' }, requests: { cpu: '150m', memory: '16Mi' } }, paths: [] },
    { name: 'requests equal to limits', resources: { limits: { cpu: '1' }, requests: { cpu: '1000m' } }, paths: [] },
    { name: 'equal in other units', resources: { limits: { memory: '1Gi' }, requests: { memory: '1024Mi' } }, paths: [] },
    { name: 'a request without a limit', resources: { requests: { cpu: '64' } }, paths: [] },
    { name: 'a limit without a request', resources: { limits: { cpu: '1m' } }, paths: [] },
    { name: 'cpu request over the limit', resources: { limits: { cpu: '1' }, requests: { cpu: '1001m' } }, paths: ['resources.requests.cpu'] },
    { name: 'memory over in decimal units', resources: { limits: { memory: '1G' }, requests: { memory: '1Gi' } }, paths: ['resources.requests.memory'] },
    {
      name: 'every offending request',
      resources: { limits: { cpu: '1', memory: '1Mi', 'nvidia.com/gpu': '1' }, requests: { cpu: '2', memory: '2Mi', 'nvidia.com/gpu': '1' } },
      paths: ['resources.requests.cpu', 'resources.requests.memory'],
    },
    { name: 'a limit that is no quantity', resources: { limits: { cpu: 'lots' } }, paths: ['resources.limits.cpu'] },
    { name: 'a request that is no quantity', resources: { limits: { cpu: '1' }, requests: { cpu: '1 core' } }, paths: ['resources.requests.cpu'] },
  ])('$name', ({ resources, paths }) => {
    expect(checkResolvedJob(job({ resources }), undefined, '').map((p) => p.path)).toEqual(paths);
  });

  it('says which values broke the rule', () => {
    expect(checkResolvedJob(job({ resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } }), undefined, 'jobScheduleDescriptions[0]')).toEqual([
      { path: 'jobScheduleDescriptions[0].resources.requests.cpu', message: 'must not exceed the limit (2 > 1)' },
    ]);
    expect(checkResolvedJob(job({ resources: { limits: { cpu: 'lots' } } }), undefined, '')).toEqual([
      { path: 'resources.limits.cpu', message: 'must be a valid quantity (e.g. 100m, 1.5Gi), got "lots"' },
    ]);
  });

  it('reports payload and resource problems together', () => {
    const problems = checkResolvedJob(job({ payloadPath: undefined, resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } }), 'x', '');
    expect(problems.map((p) => p.path)).toEqual(['payload', 'resources.requests.cpu']);
  });
});

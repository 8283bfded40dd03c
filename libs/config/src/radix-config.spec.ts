import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseJobComponent } from './radix-config';

const repo = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

/** A radixconfig.yaml whose only job entry is `compute` on port 8000 with these fields changed. */
const withJob = (fields: Record<string, unknown>) => stringify({ spec: { jobs: [{ name: 'compute', schedulerPort: 8000, ...fields }] } });

const ruleOn = (codes: number[], action = 'FailJob', operator = 'In') => ({ action, onExitCodes: { operator, values: codes } });

describe('parseJobComponent: valid files', () => {
  it.each([
    'radixconfig.yaml',
    'k8s/base/radixconfig.yaml',
    'bench/radixconfig.yaml',
    'test/fixtures/api-radixconfig.yaml',
    'test/fixtures/kubernetes-radixconfig.yaml',
    'test/fixtures/doc-examples/configuring-jobs.radixconfig.elided.yaml',
  ])('accepts %s', (path) => {
    expect(parseJobComponent(read(path), undefined, undefined)).toEqual({ component: expect.anything(), problems: [] });
  });

  it("reads the repository's example component", () => {
    expect(parseJobComponent(read('radixconfig.yaml'), undefined, undefined).component).toEqual({
      name: 'compute',
      schedulerPort: 8000,
      payloadPath: '/compute/args',
      image: 'radix-job-scheduler-example:latest',
      command: ['node', 'examples/job/main.js'],
      timeLimitSeconds: 300,
      backoffLimit: 0,
      resources: { requests: { memory: '64Mi', cpu: '50m' }, limits: { memory: '256Mi', cpu: '500m' } },
      variables: { GREETING: 'hello from radixconfig' },
    });
  });

  it('reads both jobs of the documentation example, `gpuCount: 2` as the request form "2"', () => {
    const text = read('test/fixtures/doc-examples/configuring-jobs.radixconfig.elided.yaml');
    expect(parseJobComponent(text, 'compute', undefined).component).toEqual({ name: 'compute', schedulerPort: 8000, payloadPath: '/compute/args' });
    expect(parseJobComponent(text, 'etl', undefined).component).toEqual({
      name: 'etl',
      schedulerPort: 9000,
      payloadPath: undefined,
      timeLimitSeconds: 100,
      backoffLimit: 5,
      resources: { requests: { memory: '256Mi', cpu: '400m' }, limits: { memory: '384Mi', cpu: '500m' } },
      node: { gpu: 'nvidia-k80', gpuCount: '2' },
    });
  });

  it('keeps every option a request can carry, drops fields the scheduler does not use, and takes an empty value as not set', () => {
    const options = {
      image: 'registry.example/etl:{imageTagName}',
      imageTagName: '1.0.0',
      timeLimitSeconds: 120,
      backoffLimit: 2,
      failurePolicy: { rules: [ruleOn([42]), ruleOn([0, 1], 'Ignore', 'NotIn'), ruleOn([3], 'Count')] },
      resources: { limits: { cpu: '1', 'nvidia.com/gpu': '1' }, requests: { cpu: '500m' } },
      runtime: { architecture: 'arm64', nodeType: 'gpu-nc24sv3' },
      node: { gpu: 'nvidia-v100', gpuCount: '1' },
      variables: { MODE: 'batch', EMPTY: '' },
      command: ['python'],
      args: [],
    };
    const text = withJob({ ...options, src: 'etl', ports: [{ name: 'http', port: 3000 }], notifications: { webhook: 'http://x' }, payload: null, environmentConfig: null });
    expect(parseJobComponent(text, undefined, undefined)).toEqual({ component: { name: 'compute', schedulerPort: 8000, payloadPath: undefined, ...options, notifications: { webhook: 'http://x' } }, problems: [] });
  });
});

describe('parseJobComponent: values the original treats as not set', () => {
  it('takes a variable without a value (`VAR:`) as "" and `gpuCount: ""` as not set, as a request does', () => {
    const text = 'spec:\n  jobs:\n    - name: compute\n      schedulerPort: 8000\n      variables:\n        EMPTY:\n        SET: "x"\n      node:\n        gpu: gpu1\n        gpuCount: ""\n';
    expect(parseJobComponent(text, undefined, undefined)).toEqual({
      component: { name: 'compute', schedulerPort: 8000, payloadPath: undefined, variables: { EMPTY: '', SET: 'x' }, node: { gpu: 'gpu1' } },
      problems: [],
    });
  });
});

describe('parseJobComponent: a bad value of each kind, with its path in the file', () => {
  it.each<{ name: string; fields: Record<string, unknown>; problem: string }>([
    // Fields of the file alone.
    { name: 'an upper-case name', fields: { name: 'Compute' }, problem: 'spec.jobs[0].name: must be a DNS label (lowercase letters, digits and -, not starting or ending with -), got "Compute"' },
    { name: 'a name that is no string', fields: { name: 7 }, problem: 'spec.jobs[0].name: must be a DNS label (lowercase letters, digits and -, not starting or ending with -), got a number' },
    { name: 'no schedulerPort', fields: { schedulerPort: undefined }, problem: 'spec.jobs[0].schedulerPort: must be a port number from 1 to 65535, got nothing' },
    { name: 'schedulerPort as a string', fields: { schedulerPort: '8000' }, problem: 'spec.jobs[0].schedulerPort: must be a port number from 1 to 65535, got a string' },
    { name: 'schedulerPort 0', fields: { schedulerPort: 0 }, problem: 'spec.jobs[0].schedulerPort: must be a port number from 1 to 65535, got 0' },
    { name: 'schedulerPort over 65535', fields: { schedulerPort: 65536 }, problem: 'spec.jobs[0].schedulerPort: must be a port number from 1 to 65535, got 65536' },
    { name: 'payload as a string', fields: { payload: '/args' }, problem: 'spec.jobs[0].payload: must be an object with a path, got a string' },
    { name: 'a relative payload.path', fields: { payload: { path: 'args' } }, problem: 'spec.jobs[0].payload.path: must be an absolute path (starting with /), got "args"' },
    { name: 'payload without a path', fields: { payload: {} }, problem: 'spec.jobs[0].payload.path: must be an absolute path (starting with /), got nothing' },
    // Options a request can carry: the request's rules.
    { name: 'image as a number', fields: { image: 42 }, problem: 'spec.jobs[0].image: must be a string, got a number' },
    { name: 'imageTagName as a list', fields: { imageTagName: ['1'] }, problem: 'spec.jobs[0].imageTagName: must be a string, got an array' },
    { name: 'timeLimitSeconds 0', fields: { timeLimitSeconds: 0 }, problem: 'spec.jobs[0].timeLimitSeconds: must be >= 1' },
    { name: 'timeLimitSeconds quoted', fields: { timeLimitSeconds: '100' }, problem: 'spec.jobs[0].timeLimitSeconds: must be an integer, got a string' },
    { name: 'backoffLimit negative', fields: { backoffLimit: -1 }, problem: 'spec.jobs[0].backoffLimit: must be >= 0' },
    { name: 'backoffLimit fractional', fields: { backoffLimit: 1.5 }, problem: 'spec.jobs[0].backoffLimit: must be an integer, got 1.5' },
    { name: 'failurePolicy as a string', fields: { failurePolicy: 'FailJob' }, problem: 'spec.jobs[0].failurePolicy: must be an object, got a string' },
    { name: 'failurePolicy without rules', fields: { failurePolicy: {} }, problem: 'spec.jobs[0].failurePolicy.rules: is required' },
    { name: 'failurePolicy rules as a map', fields: { failurePolicy: { rules: { action: 'FailJob' } } }, problem: 'spec.jobs[0].failurePolicy.rules: must be an array of rules, got an object' },
    { name: 'an unknown action', fields: { failurePolicy: { rules: [ruleOn([1]), ruleOn([2], 'Retry')] } }, problem: 'spec.jobs[0].failurePolicy.rules[1].action: must be one of FailJob, Ignore, Count' },
    { name: 'an unknown operator', fields: { failurePolicy: { rules: [ruleOn([1], 'FailJob', 'Equals')] } }, problem: 'spec.jobs[0].failurePolicy.rules[0].onExitCodes.operator: must be one of In, NotIn' },
    { name: 'a rule without onExitCodes', fields: { failurePolicy: { rules: [{ action: 'FailJob' }] } }, problem: 'spec.jobs[0].failurePolicy.rules[0].onExitCodes: is required' },
    { name: 'an exit code over 255', fields: { failurePolicy: { rules: [ruleOn([1, 256])] } }, problem: 'spec.jobs[0].failurePolicy.rules[0].onExitCodes.values[1]: must be an integer from 0 to 255' },
    { name: '0 in an In rule', fields: { failurePolicy: { rules: [ruleOn([0])] } }, problem: 'spec.jobs[0].failurePolicy.rules[0].onExitCodes.values: must not contain 0 with the operator In' },
    { name: 'a repeated exit code', fields: { failurePolicy: { rules: [ruleOn([3, 3])] } }, problem: 'spec.jobs[0].failurePolicy.rules[0].onExitCodes.values: must not repeat an exit code (3 appears twice)' },
    {
      name: 'more than 20 rules',
      fields: { failurePolicy: { rules: Array.from({ length: 21 }, (_, i) => ruleOn([i + 1])) } },
      problem: 'spec.jobs[0].failurePolicy.rules: must hold at most 20 rules',
    },
    { name: 'runtime as a string', fields: { runtime: 'arm64' }, problem: 'spec.jobs[0].runtime: must be an object, got a string' },
    { name: 'an unknown architecture', fields: { runtime: { architecture: 'x86' } }, problem: 'spec.jobs[0].runtime.architecture: must be one of amd64, arm64' },
    { name: 'an upper-case nodeType', fields: { runtime: { nodeType: 'GPU' } }, problem: 'spec.jobs[0].runtime.nodeType: must be a node type of lowercase letters, digits and -, not starting or ending with -' },
    { name: 'gpuCount not a number', fields: { node: { gpuCount: 'two' } }, problem: 'spec.jobs[0].node.gpuCount: must be a non-negative whole number (e.g. "1")' },
    { name: 'gpu as a number', fields: { node: { gpu: 1 } }, problem: 'spec.jobs[0].node.gpu: must be a string, got a number' },
    { name: 'a limit that is no quantity', fields: { resources: { limits: { cpu: 'fast' } } }, problem: 'spec.jobs[0].resources.limits.cpu: must be a valid quantity (e.g. 100m, 1.5Gi), got "fast"' },
    // As in Radix's schema, a resource list holds strings: YAML reads an unquoted 1 as a number.
    { name: 'an unquoted quantity', fields: { resources: { limits: { cpu: 1 } } }, problem: 'spec.jobs[0].resources.limits.cpu: must be a string, got a number' },
    { name: 'a bad resource name', fields: { resources: { requests: { 'c p u': '1' } } }, problem: 'spec.jobs[0].resources.requests.c p u: is not a valid resource name' },
    { name: 'a request over its limit', fields: { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }, problem: 'spec.jobs[0].resources.requests.cpu: must not exceed the limit (2 > 1)' },
    { name: 'variables as a list', fields: { variables: ['A=1'] }, problem: 'spec.jobs[0].variables: must be an object of strings, got an array' },
    { name: 'a variable name with a hyphen', fields: { variables: { 'MY-VAR': 'x' } }, problem: 'spec.jobs[0].variables.MY-VAR: is not a valid variable name (letters, digits and _, not starting with a digit)' },
    { name: 'an unquoted number as a variable', fields: { variables: { PORT: 8080 } }, problem: 'spec.jobs[0].variables.PORT: must be a string, got a number' },
    { name: 'a variable that is a list', fields: { variables: { LIST: ['a'] } }, problem: 'spec.jobs[0].variables.LIST: must be a string, got an array' },
    { name: 'gpuCount of blanks', fields: { node: { gpuCount: ' ' } }, problem: 'spec.jobs[0].node.gpuCount: must be a non-negative whole number (e.g. "1")' },
    { name: 'command as a string', fields: { command: 'node main.js' }, problem: 'spec.jobs[0].command: must be an array of strings, got a string' },
    { name: 'args with a number', fields: { args: ['--n', 3] }, problem: 'spec.jobs[0].args[1]: must be a string, got a number' },
    // environmentConfig: its shape, and the same rules for the options it overrides.
    { name: 'environmentConfig as a map', fields: { environmentConfig: { dev: {} } }, problem: 'spec.jobs[0].environmentConfig: must be a list of environments, got an object' },
    { name: 'an environmentConfig entry that is no object', fields: { environmentConfig: ['dev'] }, problem: 'spec.jobs[0].environmentConfig[0]: must be an object, got a string' },
    { name: 'an environmentConfig entry without environment', fields: { environmentConfig: [{ backoffLimit: 1 }] }, problem: 'spec.jobs[0].environmentConfig[0].environment: must name an environment, got nothing' },
    {
      name: 'an environment configured twice',
      fields: { environmentConfig: [{ environment: 'dev' }, { environment: 'prod' }, { environment: 'dev' }] },
      problem: 'spec.jobs[0].environmentConfig[2].environment: "dev" is already configured at spec.jobs[0].environmentConfig[0]',
    },
    {
      name: 'a bad rule in an environment',
      fields: { environmentConfig: [{ environment: 'prod', failurePolicy: { rules: [ruleOn([1], 'Restart')] } }] },
      problem: 'spec.jobs[0].environmentConfig[0].failurePolicy.rules[0].action: must be one of FailJob, Ignore, Count',
    },
    {
      name: "an environment's request over the job's limit",
      fields: { resources: { limits: { memory: '1Gi' } }, environmentConfig: [{ environment: 'prod', resources: { requests: { memory: '2Gi' } } }] },
      problem: 'spec.jobs[0].environmentConfig[0].resources.requests.memory: must not exceed the limit (2Gi > 1Gi)',
    },
  ])('refuses $name', ({ fields, problem }) => {
    expect(parseJobComponent(withJob(fields), undefined, undefined)).toEqual({ problems: [problem] });
  });

  it.each([
    { name: 'text that is no YAML', text: 'spec: [', problem: expect.stringMatching(/^not valid YAML: /) },
    { name: 'a file without spec.jobs', text: 'spec:\n  components: []\n', problem: 'spec.jobs: must list at least one job component' },
    { name: 'an empty spec.jobs', text: 'spec:\n  jobs: []\n', problem: 'spec.jobs: must list at least one job component' },
    { name: 'a job entry that is no object', text: 'spec:\n  jobs:\n    - compute\n', problem: 'spec.jobs[0]: must be an object, got a string' },
  ])('refuses $name', ({ text, problem }) => {
    expect(parseJobComponent(text, undefined, undefined)).toEqual({ problems: [problem] });
  });

  it('refuses a JOB_COMPONENT that the file does not define, naming those it does', () => {
    expect(parseJobComponent(read('test/fixtures/api-radixconfig.yaml'), 'etl', undefined)).toEqual({
      problems: ['JOB_COMPONENT "etl" is not in spec.jobs (found: compute, bare, a-job-component-with-a-rather-long-name-for-naming-tests)'],
    });
  });
});

describe('parseJobComponent: every problem at once', () => {
  const text = `
spec:
  jobs:
    - name: frontend-worker
      schedulerPort: 9000
    - name: etl
      schedulerPort: "9000"
      payload:
        path: args
      timeLimitSeconds: 0
      failurePolicy:
        rules:
          - action: FailJob
            onExitCodes: { operator: In, values: [1] }
          - action: Retry
            onExitCodes: { operator: In, values: [0, 2] }
      runtime:
        architecture: x86
      variables:
        PORT: 8080
      environmentConfig:
        - environment: prod
          backoffLimit: -1
`;

  it('lists them in file order, each with its path, for the entry JOB_COMPONENT names', () => {
    expect(parseJobComponent(text, 'etl', undefined).problems).toEqual([
      'spec.jobs[1].schedulerPort: must be a port number from 1 to 65535, got a string',
      'spec.jobs[1].payload.path: must be an absolute path (starting with /), got "args"',
      'spec.jobs[1].timeLimitSeconds: must be >= 1',
      'spec.jobs[1].failurePolicy.rules[1].action: must be one of FailJob, Ignore, Count',
      'spec.jobs[1].failurePolicy.rules[1].onExitCodes.values: must not contain 0 with the operator In',
      'spec.jobs[1].runtime.architecture: must be one of amd64, arm64',
      'spec.jobs[1].variables.PORT: must be a string, got a number',
      'spec.jobs[1].environmentConfig[0].backoffLimit: must be >= 0',
    ]);
  });

  it('checks only the entry it serves: another valid entry is served from the same file', () => {
    expect(parseJobComponent(text, 'frontend-worker', undefined)).toEqual({ component: { name: 'frontend-worker', schedulerPort: 9000, payloadPath: undefined }, problems: [] });
  });
});

describe('parseJobComponent: environmentConfig', () => {
  const text = withJob({
    image: 'registry.example/etl:1',
    backoffLimit: 1,
    runtime: { architecture: 'amd64' },
    variables: { A: 'job', B: 'job' },
    resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } },
    environmentConfig: [
      { environment: 'dev', backoffLimit: 0, variables: { B: 'dev' } },
      { environment: 'prod', runtime: { nodeType: 'gpu-nodes' }, variables: { C: 'prod' }, resources: { limits: { cpu: '4' }, requests: { cpu: '2' } } },
    ],
  });

  it.each([
    { environment: undefined, expected: { backoffLimit: 1, runtime: { architecture: 'amd64' }, variables: { A: 'job', B: 'job' }, resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } } } },
    { environment: 'qa', expected: { backoffLimit: 1, runtime: { architecture: 'amd64' }, variables: { A: 'job', B: 'job' }, resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } } } },
    { environment: 'dev', expected: { backoffLimit: 0, runtime: { architecture: 'amd64' }, variables: { A: 'job', B: 'dev' }, resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } } } },
    { environment: 'prod', expected: { backoffLimit: 1, runtime: { nodeType: 'gpu-nodes' }, variables: { A: 'job', B: 'job', C: 'prod' }, resources: { limits: { cpu: '4', memory: '1Gi' }, requests: { cpu: '2' } } } },
  ])('applies the entry of RADIX_ENVIRONMENT=$environment: maps merge key by key, other options are replaced', ({ environment, expected }) => {
    expect(parseJobComponent(text, undefined, environment).component).toEqual({ name: 'compute', schedulerPort: 8000, payloadPath: undefined, image: 'registry.example/etl:1', ...expected });
  });

  it('refuses a bad entry for another environment too: the file is valid or not, whichever environment is served', () => {
    const bad = withJob({ environmentConfig: [{ environment: 'dev' }, { environment: 'prod', timeLimitSeconds: 0 }] });
    expect(parseJobComponent(bad, undefined, 'dev').problems).toEqual(['spec.jobs[0].environmentConfig[1].timeLimitSeconds: must be >= 1']);
  });

  it("reports a request over the job's own limit once, at the job, when an environment changes other resources", () => {
    const bad = withJob({ resources: { limits: { cpu: '1' }, requests: { cpu: '2' } }, environmentConfig: [{ environment: 'dev', resources: { limits: { memory: '1Gi' } } }] });
    expect(parseJobComponent(bad, undefined, 'dev').problems).toEqual(['spec.jobs[0].resources.requests.cpu: must not exceed the limit (2 > 1)']);
  });
});

describe('parseJobComponent: batchStatusRules', () => {
  const failed = { condition: 'Any', operator: 'In', jobStatuses: ['Failed'], batchStatus: 'Failed' };
  const completed = { condition: 'All', operator: 'NotIn', jobStatuses: ['Waiting', 'Active', 'Running', 'Stopping'], batchStatus: 'Completed' };

  it('reads the rules in their order', () => {
    expect(parseJobComponent(withJob({ batchStatusRules: [failed, completed] }), undefined, undefined).component?.batchStatusRules).toEqual([failed, completed]);
  });

  it('has none when the file sets none (or leaves the field empty)', () => {
    expect(parseJobComponent(withJob({}), undefined, undefined).component).not.toHaveProperty('batchStatusRules');
    expect(parseJobComponent(withJob({ batchStatusRules: null }), undefined, undefined).component).not.toHaveProperty('batchStatusRules');
  });

  it("takes an environment's rules instead of the job's, as a whole", () => {
    const text = withJob({ batchStatusRules: [failed], environmentConfig: [{ environment: 'prod', batchStatusRules: [completed] }, { environment: 'dev' }] });
    expect(parseJobComponent(text, undefined, 'prod').component?.batchStatusRules).toEqual([completed]);
    expect(parseJobComponent(text, undefined, 'dev').component?.batchStatusRules).toEqual([failed]);
  });

  it.each<{ name: string; rules: unknown; problem: string }>([
    { name: 'rules as a map', rules: { first: failed }, problem: 'spec.jobs[0].batchStatusRules: must be an array of rules, got an object' },
    { name: 'a rule that is no object', rules: [failed, 'Failed'], problem: 'spec.jobs[0].batchStatusRules[1]: must be an object' },
    { name: 'an unknown operator', rules: [failed, { ...completed, operator: 'Equals' }], problem: 'spec.jobs[0].batchStatusRules[1].operator: must be one of In, NotIn' },
    { name: 'an unknown condition', rules: [{ ...failed, condition: 'Some' }], problem: 'spec.jobs[0].batchStatusRules[0].condition: must be one of All, Any' },
    { name: 'no condition', rules: [{ ...failed, condition: undefined }], problem: 'spec.jobs[0].batchStatusRules[0].condition: must be one of All, Any' },
    {
      name: 'an unknown job status',
      rules: [{ ...failed, jobStatuses: ['Failed', 'Completed'] }],
      problem: 'spec.jobs[0].batchStatusRules[0].jobStatuses[1]: must be one of Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped',
    },
    { name: 'no job statuses', rules: [{ ...failed, jobStatuses: [] }], problem: 'spec.jobs[0].batchStatusRules[0].jobStatuses: must hold at least one value' },
    { name: 'job statuses as a string', rules: [{ ...failed, jobStatuses: 'Failed' }], problem: 'spec.jobs[0].batchStatusRules[0].jobStatuses: must be a list, got a string' },
    { name: 'a repeated job status', rules: [{ ...failed, jobStatuses: ['Failed', 'Failed'] }], problem: 'spec.jobs[0].batchStatusRules[0].jobStatuses: must not repeat a value (Failed appears twice)' },
    {
      name: 'an unknown batch status',
      rules: [{ ...failed, batchStatus: 'Done' }],
      problem: 'spec.jobs[0].batchStatusRules[0].batchStatus: must be one of Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped, Completed',
    },
  ])('refuses $name, with its path', ({ rules, problem }) => {
    expect(parseJobComponent(withJob({ batchStatusRules: rules }), undefined, undefined)).toEqual({ problems: [problem] });
  });

  it('lists every problem of every rule, in an environment too', () => {
    const text = withJob({
      batchStatusRules: [{ condition: 'all', operator: 'In', jobStatuses: ['failed'], batchStatus: 'Failed' }, { ...completed, batchStatus: 'Done' }],
      environmentConfig: [{ environment: 'prod', batchStatusRules: [{ ...failed, operator: 'Out' }] }],
    });
    expect(parseJobComponent(text, undefined, undefined).problems).toEqual([
      'spec.jobs[0].batchStatusRules[0].condition: must be one of All, Any',
      'spec.jobs[0].batchStatusRules[0].jobStatuses[0]: must be one of Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped',
      'spec.jobs[0].batchStatusRules[1].batchStatus: must be one of Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped, Completed',
      'spec.jobs[0].environmentConfig[0].batchStatusRules[0].operator: must be one of In, NotIn',
    ]);
  });
});

describe('parseJobComponent: notifications', () => {
  it('reads notifications.webhook, and an environment entry wins for its environment', () => {
    const text = withJob({
      notifications: { webhook: 'http://api:8080/hook' },
      environmentConfig: [{ environment: 'prod', notifications: { webhook: 'https://prod.example.com/hook' } }, { environment: 'dev' }],
    });
    expect(parseJobComponent(text, undefined, undefined).component?.notifications).toEqual({ webhook: 'http://api:8080/hook' });
    expect(parseJobComponent(text, undefined, 'dev').component?.notifications).toEqual({ webhook: 'http://api:8080/hook' });
    expect(parseJobComponent(text, undefined, 'prod').component?.notifications).toEqual({ webhook: 'https://prod.example.com/hook' });
    expect(parseJobComponent(withJob({}), undefined, undefined).component?.notifications).toBeUndefined();
  });

  it.each([
    [{ notifications: { webhook: 'mailto:ops@example.com' } }, 'spec.jobs[0].notifications.webhook: must be an http or https URL, got "mailto:ops@example.com"'],
    [{ notifications: { webhook: 42 } }, 'spec.jobs[0].notifications.webhook: must be an http or https URL, got a number'],
  ])('refuses %j', (fields, problem) => {
    expect(parseJobComponent(withJob(fields), undefined, undefined).problems).toEqual([problem]);
  });
});

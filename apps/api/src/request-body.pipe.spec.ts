import { InvalidRequestError } from '@rjs/core';
import { BatchScheduleDescriptionDto, JobScheduleDescriptionDto } from '@rjs/contracts';
import { RequestBodyPipe } from './request-body.pipe';

const jobPipe = new RequestBodyPipe({ dto: JobScheduleDescriptionDto, whenEmpty: {} });
const batchPipe = new RequestBodyPipe({ dto: BatchScheduleDescriptionDto });

/** The problems a body is rejected with, as `path message` lines. */
function rejection(pipe: RequestBodyPipe<unknown>, body: unknown): string[] {
  try {
    pipe.transform(body);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.problems.map((p) => (p.path ? `${p.path} ${p.message}` : p.message));
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}

describe('RequestBodyPipe: single job', () => {
  it.each([
    { name: 'timeLimitSeconds 0', body: { timeLimitSeconds: 0 }, problem: 'timeLimitSeconds must be >= 1' },
    { name: 'priority over 1000', body: { priority: 1001 }, problem: 'priority must be <= 1000' },
    { name: 'priority negative', body: { priority: -1 }, problem: 'priority must be >= 0' },
    { name: 'priority fractional', body: { priority: 2.5 }, problem: 'priority must be an integer, got 2.5' },
    { name: 'priority as a string', body: { priority: '5' }, problem: 'priority must be an integer, got a string' },
    { name: 'timeLimitSeconds over a year', body: { timeLimitSeconds: 31_536_001 }, problem: 'timeLimitSeconds must be <= 31536000' },
    { name: 'timeLimitSeconds fractional', body: { timeLimitSeconds: 1.5 }, problem: 'timeLimitSeconds must be an integer, got 1.5' },
    { name: 'timeLimitSeconds as a string', body: { timeLimitSeconds: '120' }, problem: 'timeLimitSeconds must be an integer, got a string' },
    { name: 'backoffLimit negative', body: { backoffLimit: -1 }, problem: 'backoffLimit must be >= 0' },
    { name: 'backoffLimit too large', body: { backoffLimit: 1001 }, problem: 'backoffLimit must be <= 1000' },
    { name: 'payload as an object', body: { payload: { x: 1 } }, problem: 'payload must be a string, got an object' },
    { name: 'jobId as a number', body: { jobId: 7 }, problem: 'jobId must be a string, got a number' },
    { name: 'image as a boolean', body: { image: true }, problem: 'image must be a string, got a boolean' },
    { name: 'imageTagName as an array', body: { imageTagName: ['1'] }, problem: 'imageTagName must be a string, got an array' },
    { name: 'command as a string', body: { command: './run.sh' }, problem: 'command must be an array of strings, got a string' },
    { name: 'args with a number', body: { args: ['--n', 3] }, problem: 'args[1] must be a string, got a number' },
    { name: 'variables as an array', body: { variables: ['A=1'] }, problem: 'variables must be an object of strings, got an array' },
    { name: 'a variable value as a number', body: { variables: { EPOCHS: 10 } }, problem: 'variables.EPOCHS must be a string, got a number' },
    { name: 'a variable name with a hyphen', body: { variables: { 'MY-VAR': 'x' } }, problem: 'variables.MY-VAR is not a valid variable name (letters, digits and _, not starting with a digit)' },
    { name: 'a variable name starting with a digit', body: { variables: { '1X': 'x' } }, problem: 'variables.1X is not a valid variable name (letters, digits and _, not starting with a digit)' },
    { name: 'resources as a string', body: { resources: '1 cpu' }, problem: 'resources must be an object, got a string' },
    { name: 'resources as an array', body: { resources: [] }, problem: 'resources must be an object, got an array' },
    { name: 'a limit that is no quantity', body: { resources: { limits: { cpu: 'fast' } } }, problem: 'resources.limits.cpu must be a valid quantity (e.g. 100m, 1.5Gi), got "fast"' },
    { name: 'a request as a number', body: { resources: { requests: { memory: 64 } } }, problem: 'resources.requests.memory must be a string, got a number' },
    { name: 'a bad resource name', body: { resources: { limits: { 'c p u': '1' } } }, problem: 'resources.limits.c p u is not a valid resource name' },
    { name: 'an unknown architecture', body: { runtime: { architecture: 'x86' } }, problem: 'runtime.architecture must be one of amd64, arm64' },
    { name: 'an upper-case nodeType', body: { runtime: { nodeType: 'GPU-nodes' } }, problem: 'runtime.nodeType must be a node type of lowercase letters, digits and -, not starting or ending with -' },
    { name: 'a nodeType ending in -', body: { runtime: { nodeType: 'gpu-' } }, problem: 'runtime.nodeType must be a node type of lowercase letters, digits and -, not starting or ending with -' },
    { name: 'a nodeType over 120 characters', body: { runtime: { nodeType: 'a'.repeat(121) } }, problem: 'runtime.nodeType must be at most 120 characters' },
    { name: 'gpu as a number', body: { node: { gpu: 1 } }, problem: 'node.gpu must be a string, got a number' },
    { name: 'gpuCount negative', body: { node: { gpuCount: -1 } }, problem: 'node.gpuCount must be a non-negative whole number (e.g. "1")' },
    { name: 'gpuCount not a number', body: { node: { gpuCount: 'six' } }, problem: 'node.gpuCount must be a non-negative whole number (e.g. "1")' },
    { name: 'gpuCount fractional', body: { node: { gpuCount: 1.5 } }, problem: 'node.gpuCount must be a non-negative whole number (e.g. "1")' },
    { name: 'failurePolicy without rules', body: { failurePolicy: {} }, problem: 'failurePolicy.rules is required' },
    {
      name: 'more than 20 rules',
      body: { failurePolicy: { rules: Array.from({ length: 21 }, (_, i) => ({ action: 'Count', onExitCodes: { operator: 'In', values: [i + 1] } })) } },
      problem: 'failurePolicy.rules must hold at most 20 rules',
    },
    { name: 'a rule that is no object', body: { failurePolicy: { rules: ['FailJob'] } }, problem: 'failurePolicy.rules[0] must be an object' },
    { name: 'an unknown action', body: { failurePolicy: { rules: [{ action: 'Retry', onExitCodes: { operator: 'In', values: [1] } }] } }, problem: 'failurePolicy.rules[0].action must be one of FailJob, Ignore, Count' },
    { name: 'a rule without onExitCodes', body: { failurePolicy: { rules: [{ action: 'FailJob' }] } }, problem: 'failurePolicy.rules[0].onExitCodes is required' },
    { name: 'an unknown operator', body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'Equals', values: [1] } }] } }, problem: 'failurePolicy.rules[0].onExitCodes.operator must be one of In, NotIn' },
    { name: 'no exit codes', body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [] } }] } }, problem: 'failurePolicy.rules[0].onExitCodes.values must hold 1 to 255 exit codes' },
    {
      name: '256 exit codes',
      body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'NotIn', values: Array.from({ length: 256 }, (_, i) => i) } }] } },
      problem: 'failurePolicy.rules[0].onExitCodes.values must hold 1 to 255 exit codes',
    },
    { name: 'an exit code over 255', body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 256] } }] } }, problem: 'failurePolicy.rules[0].onExitCodes.values[1] must be an integer from 0 to 255' },
    { name: 'a negative exit code', body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [-1] } }] } }, problem: 'failurePolicy.rules[0].onExitCodes.values[0] must be an integer from 0 to 255' },
    { name: 'a repeated exit code', body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42, 42] } }] } }, problem: 'failurePolicy.rules[0].onExitCodes.values must not repeat an exit code (42 appears twice)' },
    { name: '0 in an In rule', body: { failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 1] } }] } }, problem: 'failurePolicy.rules[0].onExitCodes.values must not contain 0 with the operator In' },
  ])('rejects $name', ({ body, problem }) => {
    expect(rejection(jobPipe, body)).toEqual([problem]);
  });

  it('names every offending field at once', () => {
    expect(rejection(jobPipe, { timeLimitSeconds: 0, backoffLimit: -1, variables: { '1A': 'x', B: 1 }, runtime: { architecture: 'sparc' } })).toEqual([
      'timeLimitSeconds must be >= 1',
      'backoffLimit must be >= 0',
      'runtime.architecture must be one of amd64, arm64',
      'variables.1A is not a valid variable name (letters, digits and _, not starting with a digit)',
      'variables.B must be a string, got a number',
    ]);
  });

  it.each([
    [[], 'the request body must be a JSON object, got an array'],
    [42, 'the request body must be a JSON object, got a number'],
    ['text', 'the request body must be a JSON object, got a string'],
    [true, 'the request body must be a JSON object, got a boolean'],
  ])('rejects the body %j', (body, problem) => {
    expect(rejection(jobPipe, body)).toEqual([problem]);
  });

  it.each([[undefined], [null]])('takes %j as a job with all defaults', (body) => {
    expect(jobPipe.transform(body)).toEqual({});
  });

  it('accepts a 0 in a NotIn rule, and Ignore and Count rules', () => {
    const failurePolicy = {
      rules: [
        { action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [0, 1, 255] } },
        { action: 'Count', onExitCodes: { operator: 'In', values: [3] } },
      ],
    };
    expect(jobPipe.transform({ failurePolicy })).toEqual({ failurePolicy });
  });

  it('drops undeclared fields at every level, keeps declared ones, and takes null as not set', () => {
    const body = {
      payload: 'p',
      jobId: 'j',
      image: 'img',
      imageTagName: 't',
      timeLimitSeconds: 120,
      backoffLimit: 0,
      resources: { limits: { cpu: '300m' }, requests: { cpu: '150m' }, imageTagName: '1.0.0', runtime: { architecture: 'amd64' } },
      runtime: { nodeType: 'memory-optimized-2-v1', extra: 1 },
      node: { gpu: 'gpu1, gpu2', gpuCount: 6 },
      variables: { A: '1', _B: '' },
      command: [],
      args: ['--x'],
      failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42], note: 'x' }, note: 'y' }], note: 'z' },
      somethingElse: { deep: true },
      __comment: 'x',
      jobName: null,
      batchId: 'not a job field',
    };
    expect(jobPipe.transform({ ...body, imageTagName: null, payload: null })).toEqual({
      jobId: 'j',
      image: 'img',
      timeLimitSeconds: 120,
      backoffLimit: 0,
      resources: { limits: { cpu: '300m' }, requests: { cpu: '150m' } },
      runtime: { nodeType: 'memory-optimized-2-v1' },
      node: { gpu: 'gpu1, gpu2', gpuCount: '6' },
      variables: { A: '1', _B: '' },
      command: [],
      args: ['--x'],
      failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
    });
  });

  it('returns a plain object, not a DTO instance', () => {
    const value = jobPipe.transform({ runtime: { architecture: 'arm64' } }) as { runtime: object };
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(value.runtime)).toBe(Object.prototype);
  });
});

describe('RequestBodyPipe: batch', () => {
  it.each([
    { name: 'no body', body: undefined, problems: ['the request body must be a JSON object, got nothing'] },
    { name: 'no jobScheduleDescriptions', body: { batchId: 'b' }, problems: ['jobScheduleDescriptions is required'] },
    { name: 'an empty list', body: { jobScheduleDescriptions: [] }, problems: ['jobScheduleDescriptions must hold at least one job'] },
    { name: 'an object instead of a list', body: { jobScheduleDescriptions: { payload: 'x' } }, problems: ['jobScheduleDescriptions must be an array of jobs, got an object'] },
    { name: 'an item that is no object', body: { jobScheduleDescriptions: [{}, 'job'] }, problems: ['jobScheduleDescriptions[1] must be an object'] },
    { name: 'a bad batchId', body: { batchId: 1, jobScheduleDescriptions: [{}] }, problems: ['batchId must be a string, got a number'] },
    { name: 'defaults that are no object', body: { defaultRadixJobComponentConfig: 'x', jobScheduleDescriptions: [{}] }, problems: ['defaultRadixJobComponentConfig must be an object, got a string'] },
    {
      name: 'bad fields in the defaults and in several items',
      body: {
        defaultRadixJobComponentConfig: { backoffLimit: -1, resources: { limits: { memory: '1 GB' } } },
        jobScheduleDescriptions: [{}, {}, {}, { timeLimitSeconds: 0 }, { command: 'x', node: { gpuCount: 'x' } }],
      },
      problems: [
        'defaultRadixJobComponentConfig.backoffLimit must be >= 0',
        'defaultRadixJobComponentConfig.resources.limits.memory must be a valid quantity (e.g. 100m, 1.5Gi), got "1 GB"',
        'jobScheduleDescriptions[3].timeLimitSeconds must be >= 1',
        'jobScheduleDescriptions[4].node.gpuCount must be a non-negative whole number (e.g. "1")',
        'jobScheduleDescriptions[4].command must be an array of strings, got a string',
      ],
    },
  ])('rejects $name', ({ body, problems }) => {
    expect(rejection(batchPipe, body)).toEqual(problems);
  });

  it('drops fields that belong to a job from the defaults (payload, jobId) and keeps the rest', () => {
    expect(
      batchPipe.transform({
        batchId: 'b',
        defaultRadixJobComponentConfig: { payload: 'p', jobId: 'j', timeLimitSeconds: 200, variables: { A: '1' } },
        jobScheduleDescriptions: [{ payload: 'p1', jobId: 'j1' }, {}],
      }),
    ).toEqual({
      batchId: 'b',
      defaultRadixJobComponentConfig: { timeLimitSeconds: 200, variables: { A: '1' } },
      jobScheduleDescriptions: [{ payload: 'p1', jobId: 'j1' }, {}],
    });
  });
});

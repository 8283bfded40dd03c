import type { JobComponent, JobOptions } from './job-spec';
import { type JobIdentity, resolveJob } from './merge';

const identity: JobIdentity = { name: 'batch-c-20230220101417-aaaaaaaa-bbbbbbbb', batchName: 'batch-c-20230220101417-aaaaaaaa', batchType: 'batch', hasPayload: false };
const bare: JobComponent = { name: 'c', schedulerPort: 8000 };
const component: JobComponent = {
  name: 'c',
  schedulerPort: 8000,
  payloadPath: '/c/args',
  image: 'registry/c:1',
  imageTagName: 'component-tag',
  timeLimitSeconds: 600,
  backoffLimit: 3,
  failurePolicy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [1] } }] },
  resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
  runtime: { architecture: 'arm64', nodeType: 'component-nodes' },
  node: { gpu: 'component-gpu', gpuCount: '1' },
  variables: { COMPONENT_ONLY: 'c', SHARED: 'c' },
  command: ['./component.sh'],
  args: ['--component'],
};
const resolve = (defaults: JobOptions | undefined, item: JobOptions, base: JobComponent = component) => resolveJob(base, defaults, item, identity);

describe('resolveJob', () => {
  it('applies the defaults 43200 and 0 when no layer sets timeLimitSeconds or backoffLimit', () => {
    expect(resolve(undefined, {}, bare)).toEqual({
      ...identity,
      component: 'c',
      timeLimitSeconds: 43200,
      backoffLimit: 0,
      resources: {},
      variables: {},
    });
  });

  it('keeps the component configuration when the request sets nothing', () => {
    const { name: _name, schedulerPort: _port, payloadPath, ...options } = component;
    expect(resolve(undefined, {})).toEqual({ ...identity, ...options, component: 'c', payloadPath });
  });

  // A field set on the item wins over the batch default, which wins over the component.
  it.each([
    ['image', 'registry/default:2', 'registry/item:3'],
    ['imageTagName', 'default-tag', 'item-tag'],
    ['timeLimitSeconds', 200, 120],
    ['backoffLimit', 5, 10],
    ['runtime', { nodeType: 'default-nodes' }, { architecture: 'amd64' }],
    ['node', { gpu: 'default-gpu', gpuCount: '2' }, { gpu: 'item-gpu' }],
    ['command', ['./default.sh'], ['./item.sh', '--x']],
    ['args', ['--default'], ['--item']],
    ['failurePolicy', { rules: [] }, { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] }],
  ] as [keyof JobOptions, unknown, unknown][])('%s: item over batch default over component, replaced whole', (field, fromDefaults, fromItem) => {
    expect(resolve(undefined, {})[field]).toEqual(component[field]);
    expect(resolve({ [field]: fromDefaults }, {})[field]).toEqual(fromDefaults);
    expect(resolve({ [field]: fromDefaults }, { [field]: fromItem })[field]).toEqual(fromItem);
    expect(resolve(undefined, { [field]: fromItem })[field]).toEqual(fromItem);
  });

  it.each([
    { name: 'an item [] suppresses the component command', defaults: undefined, item: { command: [] }, command: [] },
    { name: 'a default [] suppresses it for every job', defaults: { command: [] }, item: {}, command: [] },
    { name: 'an item command wins over a default []', defaults: { command: [] }, item: { command: ['./x'] }, command: ['./x'] },
    { name: 'an item [] wins over a default command', defaults: { command: ['./d'] }, item: { command: [] }, command: [] },
    { name: 'null sets nothing', defaults: undefined, item: { command: null as unknown as string[] }, command: ['./component.sh'] },
  ])('command: $name', ({ defaults, item, command }) => {
    expect(resolve(defaults, item).command).toEqual(command);
  });

  it('args [] is a deliberate override too, and command and args are independent', () => {
    const job = resolve({ args: [] }, { command: ['./item.sh'] });
    expect(job.args).toEqual([]);
    expect(job.command).toEqual(['./item.sh']);
  });

  it('runtime {} replaces the configured runtime whole', () => {
    expect(resolve(undefined, { runtime: {} }).runtime).toEqual({});
  });

  it('merges resources.limits, resources.requests and variables key by key over the three layers', () => {
    const job = resolve(
      { resources: { limits: { memory: '200Mi' }, requests: { memory: '100Mi' } }, variables: { SHARED: 'default', FROM_DEFAULT: 'd' } },
      { resources: { limits: { cpu: '300m' } }, variables: { SHARED: 'item', FROM_ITEM: 'i' } },
    );
    expect(job.resources).toEqual({ limits: { cpu: '300m', memory: '200Mi' }, requests: { cpu: '100m', memory: '100Mi' } });
    expect(job.variables).toEqual({ COMPONENT_ONLY: 'c', SHARED: 'item', FROM_DEFAULT: 'd', FROM_ITEM: 'i' });
  });

  it('leaves out resource lists that no layer sets', () => {
    expect(resolve(undefined, { resources: { requests: { cpu: '1' } } }, bare).resources).toEqual({ requests: { cpu: '1' } });
  });

  it('carries the identity and the component payload path', () => {
    const job = resolve(undefined, {});
    expect(job).toMatchObject({ ...identity, component: 'c', payloadPath: '/c/args' });
    expect(resolveJob(bare, undefined, {}, { ...identity, jobId: 'my-job', hasPayload: true })).toMatchObject({ jobId: 'my-job', hasPayload: true, payloadPath: undefined });
  });

  it('does not change its inputs', () => {
    const defaults: JobOptions = { variables: { A: 'd' }, resources: { limits: { cpu: '1' } } };
    const item: JobOptions = { variables: { B: 'i' } };
    const before = JSON.stringify([component, defaults, item]);
    resolve(defaults, item);
    expect(JSON.stringify([component, defaults, item])).toBe(before);
  });

  it('takes priority from the last layer that sets it, 0 included, and leaves it unset when none does', () => {
    expect(resolve(undefined, {}, bare).priority).toBeUndefined();
    expect(resolve(undefined, {}, { ...bare, priority: 3 }).priority).toBe(3);
    expect(resolve({ priority: 500 }, {}, { ...bare, priority: 3 }).priority).toBe(500);
    expect(resolve({ priority: 500 }, { priority: 0 }, { ...bare, priority: 3 }).priority).toBe(0);
  });
});

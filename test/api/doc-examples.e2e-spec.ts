import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { type ApiApp, BATCH_NAME, call, JOB_NAME, storedSpec, withApi } from './api-app';
import { RedisKeys } from '@rjs/store';

const EXAMPLES = join(__dirname, '../fixtures/doc-examples');
const example = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8');

/**
 * Every request body of the API documentation, sent byte for byte as the documents print it. The
 * examples carry misplaced fields (imageTagName, runtime and variables inside `resources`), a
 * `"runtime": {}` and `"gpuCount": "6"`: all must be accepted as they stand.
 */
describe('the request examples of the API documentation', () => {
  let client: Redis;
  let api: ApiApp;
  withApi((bed) => {
    ({ client, api } = bed);
  });

  const send = async <T>(file: string): Promise<T> => {
    const path = file.includes('.batch') ? '/api/v1/batches' : '/api/v1/jobs';
    const answer = await call<T>(api.url, 'POST', path, { raw: example(file), contentType: 'application/json' });
    expect({ file, status: answer.status, body: answer.body }).toEqual({ file, status: 200, body: expect.anything() });
    return answer.body;
  };
  const specs = (batch: BatchStatusView) => Promise.all((batch.jobStatuses ?? []).map((j) => storedSpec(client, 'compute', j.name)));
  const payload = (name: string) => client.get(new RedisKeys('compute').payload(name));

  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  it('has the 13 request examples of both documents', () => expect(files).toHaveLength(13));

  it.each(files)('accepts %s', async (file) => {
    const body = await send<JobStatusView & BatchStatusView>(file);
    if (file.includes('.batch')) {
      expect(body).toMatchObject({ name: expect.stringMatching(BATCH_NAME), status: 'Waiting', batchType: 'batch' });
      expect(body.jobStatuses?.length).toBe((JSON.parse(example(file)) as { jobScheduleDescriptions: unknown[] }).jobScheduleDescriptions.length);
    } else {
      expect(body).toMatchObject({ name: expect.stringMatching(JOB_NAME), status: 'Waiting' });
    }
  });

  it('job-manager-api: the single job takes every field', async () => {
    const job = await send<JobStatusView>('job-manager-api.single-job.json');
    expect(job.jobId).toBe('my-job-1');
    expect(await payload(job.name)).toBe('Sk9CX1BBUkFNMTogeHl6Cg==');
    expect(await storedSpec(client, 'compute', job.name)).toMatchObject({
      jobId: 'my-job-1',
      imageTagName: '1.0.0',
      timeLimitSeconds: 120,
      backoffLimit: 10,
      failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      resources: { limits: { memory: '32Mi', cpu: '300m' }, requests: { memory: '16Mi', cpu: '150m' } },
      runtime: { nodeType: 'memory-optimized-2-v1' },
      variables: {
        COMPONENT_ONLY: 'component',
        OVERRIDDEN: 'component',
        INPUT_FILE_NAME: 'chart-2025-07-15.json',
        OUTPUT_FILE_NAME: 'result-2025-07-15.json',
        TRAINING_EPOCHS: '10',
      },
      command: ['./run.sh'],
      args: ['--input', '/data/input.json', '--output', '/data/output.json'],
      hasPayload: true,
    });
  });

  it('configuring-jobs: the single job ignores imageTagName inside resources and takes gpuCount "6"', async () => {
    const job = await send<JobStatusView>('configuring-jobs.single-job.json');
    const spec = await storedSpec(client, 'compute', job.name);
    expect(spec).toMatchObject({
      timeLimitSeconds: 120,
      backoffLimit: 10,
      resources: { limits: { memory: '32Mi', cpu: '300m' }, requests: { memory: '16Mi', cpu: '150m' } },
      node: { gpu: 'gpu1, gpu2, gpu3', gpuCount: '6' },
    });
    expect(spec).not.toHaveProperty('imageTagName');
    expect(JSON.stringify(spec.resources)).not.toContain('imageTagName');
  });

  it('job-manager-api: the batch defaults ignore runtime and variables placed inside resources', async () => {
    const batch = await send<BatchStatusView>('job-manager-api.batch-with-defaults.elided.json');
    expect(batch.batchId).toBe('random-batch-id-123');
    expect(batch.jobStatuses?.map((j) => j.jobId)).toEqual(['my-job-1', 'my-job-2', undefined]);
    const [first, second, third] = await specs(batch);
    expect(first).toMatchObject({ imageTagName: '1.0.0', timeLimitSeconds: 120, backoffLimit: 10, runtime: { nodeType: 'memory-optimized-2-v1' } });
    expect(first.resources).toEqual({ limits: { memory: '32Mi', cpu: '300m' }, requests: { memory: '16Mi', cpu: '150m' } });
    expect(second).toMatchObject({ imageTagName: '1.0.0', timeLimitSeconds: 200, backoffLimit: 5, resources: { limits: { memory: '200Mi', cpu: '200m' } } });
    expect(second.variables).toMatchObject({ TRAINING_EPOCHS: '10' });
    // TRAINING_EPOCHS "5" sits inside the defaults' resources in the document: not a variable.
    expect(third.variables).not.toHaveProperty('TRAINING_EPOCHS');
    expect(third.runtime).toEqual({ architecture: 'arm64' });
    expect(await Promise.all(batch.jobStatuses!.map((j) => payload(j.name)))).toEqual(["{'data':'value1'}", "{'data':'value2'}", "{'data':'value3'}"]);
  });

  it('job-manager-api: the batch with a default command and "runtime": {}', async () => {
    const batch = await send<BatchStatusView>('job-manager-api.batch-defaults-command.json');
    const [first, second, third] = await specs(batch);
    expect(first).toMatchObject({ command: ['./run.sh'], args: ['--input', '/data/input-2025-07-16.json', '--output', '/data/output-2025-07-16.json'], backoffLimit: 2 });
    expect(second).toMatchObject({ command: ['./run.sh'], args: ['--from-component'], imageTagName: '2.0.0', timeLimitSeconds: 200 });
    // An empty runtime replaces the component's runtime whole.
    expect(third).toMatchObject({ command: ['./calculate.sh', '--epochs', '10'], runtime: {}, timeLimitSeconds: 300, backoffLimit: 10 });
  });

  it('configuring-jobs: the batch with defaults and node GPUs per item', async () => {
    const batch = await send<BatchStatusView>('configuring-jobs.batch-defaults-node.json');
    const [first, second, third] = await specs(batch);
    expect(first).toMatchObject({ imageTagName: '1.0.0', node: { gpu: 'gpu1, gpu2, gpu3', gpuCount: '6' }, backoffLimit: 2 });
    expect(second).toMatchObject({ imageTagName: '2.0.0', timeLimitSeconds: 200, resources: { limits: { memory: '200Mi', cpu: '200m' }, requests: { memory: '100Mi', cpu: '100m' } } });
    expect(second).not.toHaveProperty('node');
    expect(third).toMatchObject({ node: { gpu: 'gpu3', gpuCount: '1' }, timeLimitSeconds: 300, backoffLimit: 10 });
  });

  it('the jobId examples echo their ids', async () => {
    expect((await send<JobStatusView>('job-manager-api.single-job-id.json')).jobId).toBe('my-job');
    expect((await send<BatchStatusView>('job-manager-api.batch-job-ids.json')).jobStatuses?.map((j) => j.jobId)).toEqual(['my-job-1', 'my-job-2']);
    expect((await send<BatchStatusView>('configuring-jobs.batch-job-ids.json')).jobStatuses?.map((j) => j.jobId)).toEqual(['job-1', 'job-2']);
  });
});

import { type ApiApp, call, withApi } from './api-app';

interface Schema {
  type?: string;
  format?: string;
  $ref?: string;
  items?: Schema;
  enum?: string[];
  required?: string[];
  additionalProperties?: Schema;
  properties?: Record<string, Schema>;
  allOf?: Schema[];
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema & { minimum?: number; maximum?: number; default?: unknown };
  style?: string;
  explode?: boolean;
}
interface Operation {
  operationId: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }>; headers?: Record<string, { schema?: Schema }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** The field names of the original's definitions (radix-job-scheduler swagger.json), less DeploymentName. */
const JOB_OPTIONS = ['args', 'backoffLimit', 'command', 'failurePolicy', 'image', 'imageTagName', 'node', 'resources', 'runtime', 'timeLimitSeconds', 'variables'];
/** Our extensions: fields a client of the original does not know and may ignore. */
const EXTENDED_OPTIONS = [...JOB_OPTIONS, 'priority'];
const MODELS: Record<string, string[]> = {
  JobScheduleDescription: [...EXTENDED_OPTIONS, 'jobId', 'payload'],
  RadixJobComponentConfig: EXTENDED_OPTIONS,
  BatchScheduleDescription: ['batchId', 'defaultRadixJobComponentConfig', 'jobScheduleDescriptions'],
  JobStatus: ['batchId', 'batchName', 'created', 'ended', 'failed', 'jobId', 'message', 'name', 'podStatuses', 'restart', 'started', 'status', 'updated', 'priority', 'queuePosition'],
  QueueEntry: ['batchName', 'created', 'jobId', 'name', 'position', 'priority'],
  BatchStatus: ['batchId', 'batchName', 'batchType', 'created', 'ended', 'failed', 'jobId', 'jobStatuses', 'message', 'name', 'podStatuses', 'restart', 'started', 'status', 'updated'],
  PodStatus: ['containerStarted', 'created', 'endTime', 'exitCode', 'image', 'imageId', 'name', 'podIndex', 'reason', 'replicaStatus', 'restartCount', 'startTime', 'statusMessage'],
  Status: ['code', 'message', 'reason', 'status'],
};

const ROUTES: [method: string, path: string, operationId: string][] = [
  ['post', '/api/v1/jobs', 'createJob'],
  ['get', '/api/v1/jobs', 'getJobs'],
  ['post', '/api/v1/jobs/stop', 'stopAllJobs'],
  ['get', '/api/v1/jobs/{jobName}', 'getJob'],
  ['delete', '/api/v1/jobs/{jobName}', 'deleteJob'],
  ['post', '/api/v1/jobs/{jobName}/stop', 'stopJob'],
  ['post', '/api/v1/batches', 'createBatch'],
  ['get', '/api/v1/batches', 'getBatches'],
  ['post', '/api/v1/batches/stop', 'stopAllBatches'],
  ['get', '/api/v1/batches/{batchName}', 'getBatch'],
  ['delete', '/api/v1/batches/{batchName}', 'deleteBatch'],
  ['post', '/api/v1/batches/{batchName}/stop', 'stopBatch'],
  ['get', '/api/v1/batches/{batchName}/jobs/{jobName}', 'getBatchJob'],
  ['post', '/api/v1/batches/{batchName}/jobs/{jobName}/stop', 'stopBatchJob'],
  ['post', '/api/v1/jobs/{jobName}/restart', 'restartJob'],
  ['post', '/api/v1/jobs/{jobName}/copy', 'copyJob'],
  ['post', '/api/v1/batches/{batchName}/restart', 'restartBatch'],
  ['post', '/api/v1/batches/{batchName}/copy', 'copyBatch'],
  ['post', '/api/v1/batches/{batchName}/jobs/{jobName}/restart', 'restartBatchJob'],
  ['get', '/api/v1/jobs/{jobName}/logs', 'getJobLogs'],
  ['get', '/api/v1/batches/{batchName}/jobs/{jobName}/logs', 'getBatchJobLogs'],
  ['get', '/api/v1/events', 'getEvents'],
  ['get', '/api/v1/queue', 'getQueue'],
];

const ref = (model: string) => `#/components/schemas/${model}`;
const jsonSchema = (content: Record<string, { schema: Schema }> | undefined) => content?.['application/json']?.schema;

describe('the OpenAPI document and UI', () => {
  let api: ApiApp;
  let doc: OpenApiDocument;

  withApi(async (bed) => {
    api = bed.api;
    const answer = await call<OpenApiDocument>(api.url, 'GET', '/swagger/json');
    expect(answer.status).toBe(200);
    doc = answer.body;
  });

  it('is an OpenAPI 3 document of every API route, and of no other /api route', () => {
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it.each(ROUTES)('documents %s %s as %s with the Status body for failures', (method, path, operationId) => {
    const operation = doc.paths[path][method];
    expect(operation.operationId).toBe(operationId);
    for (const code of Object.keys(operation.responses).filter((c) => c !== '200')) {
      expect(jsonSchema(operation.responses[code].content)?.$ref).toBe(ref('Status'));
    }
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '500']));
  });

  it.each([
    ['post', '/api/v1/jobs', 'JobScheduleDescription', { $ref: ref('JobStatus') }],
    ['post', '/api/v1/batches', 'BatchScheduleDescription', { $ref: ref('BatchStatus') }],
    ['post', '/api/v1/jobs/{jobName}/copy', 'CopyRequest', { $ref: ref('JobStatus') }],
    ['post', '/api/v1/batches/{batchName}/copy', 'CopyRequest', { $ref: ref('BatchStatus') }],
  ])('%s %s takes a %s', (method, path, model, answer) => {
    const operation = doc.paths[path][method];
    expect(jsonSchema(operation.requestBody?.content)).toEqual({ $ref: ref(model) });
    expect(jsonSchema(operation.responses['200'].content)).toEqual(answer);
  });

  it.each([
    ['get', '/api/v1/jobs', { type: 'array', items: { $ref: ref('JobStatus') } }],
    ['get', '/api/v1/jobs/{jobName}', { $ref: ref('JobStatus') }],
    ['get', '/api/v1/batches', { type: 'array', items: { $ref: ref('BatchStatus') } }],
    ['get', '/api/v1/batches/{batchName}', { $ref: ref('BatchStatus') }],
    ['get', '/api/v1/batches/{batchName}/jobs/{jobName}', { $ref: ref('JobStatus') }],
    ['delete', '/api/v1/jobs/{jobName}', { $ref: ref('Status') }],
    ['post', '/api/v1/batches/{batchName}/jobs/{jobName}/stop', { $ref: ref('Status') }],
    ['post', '/api/v1/jobs/{jobName}/restart', { $ref: ref('Status') }],
    ['post', '/api/v1/batches/{batchName}/restart', { $ref: ref('Status') }],
    ['post', '/api/v1/batches/{batchName}/jobs/{jobName}/restart', { $ref: ref('Status') }],
  ])('%s %s answers %j', (method, path, answer) => {
    expect(jsonSchema(doc.paths[path][method].responses['200'].content)).toEqual(answer);
  });

  const JOB_STATUSES = ['Waiting', 'Active', 'Running', 'Succeeded', 'Failed', 'Stopping', 'Stopped'];
  it.each([
    ['/api/v1/jobs', 'jobId', JOB_STATUSES],
    // A batch has any status a job has, and Completed, which batchStatusRules may give.
    ['/api/v1/batches', 'batchId', [...JOB_STATUSES, 'Completed']],
    ['/api/v1/batches/{batchName}', 'jobId', JOB_STATUSES],
  ])('GET %s takes the optional paging and filter parameters and answers the Link of the next page', (path, filter, statuses) => {
    const operation = doc.paths[path].get;
    const query = Object.fromEntries((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
    expect(Object.keys(query).sort()).toEqual(['continue', filter, 'limit', 'status'].sort());
    expect(Object.values(query).every((p) => p.required === false)).toBe(true);
    expect(query.limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(query.continue.schema).toMatchObject({ type: 'string' });
    expect(query[filter].schema).toMatchObject({ type: 'string' });
    // Comma-separated, as OpenAPI describes it: an array in form style, not exploded.
    expect(query.status).toMatchObject({ style: 'form', explode: false, schema: { type: 'array', items: { type: 'string', enum: statuses } } });
    expect(operation.responses['200'].headers?.Link?.schema).toMatchObject({ type: 'string' });
    expect(jsonSchema(operation.responses['422'].content)?.$ref).toBe(ref('Status'));
  });

  it.each([
    ['/api/v1/jobs/{jobName}/logs', ['jobName']],
    ['/api/v1/batches/{batchName}/jobs/{jobName}/logs', ['batchName', 'jobName']],
  ])('documents GET %s as text/plain, with the attempt, tailLines and follow query parameters', (path, pathParameters) => {
    const operation = doc.paths[path].get;
    expect(operation.tags).toEqual(['logs']);
    expect(operation.responses['200'].content).toEqual({ 'text/plain': { schema: { type: 'string' } } });
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '403', '404', '422', '500', '503']);
    const parameters = Object.fromEntries((operation.parameters ?? []).map((p) => [`${p.in} ${p.name}`, p]));
    for (const name of pathParameters) expect(parameters[`path ${name}`]).toMatchObject({ required: true });
    expect(parameters['query attempt']).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1 } });
    expect(parameters['query tailLines']).toMatchObject({ required: false, schema: { type: 'integer', minimum: 0 } });
    expect(parameters['query follow']).toMatchObject({ required: false, schema: { type: 'boolean', default: false } });
  });

  it.each(Object.entries(MODELS))('describes %s with the original field names', (model, fields) => {
    const schema = doc.components.schemas[model];
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual([...fields].sort());
  });

  it('describes the Notification (webhook body, SSE event): a BatchStatus with event and jobStatuses', () => {
    const notification = doc.components.schemas.Notification;
    expect(Object.keys(notification.properties ?? {})).toEqual(expect.arrayContaining(['name', 'batchType', 'status', 'event', 'jobStatuses']));
    expect(notification.properties?.event).toMatchObject({ enum: ['Create', 'Update', 'Delete'] });
    expect(notification.properties?.jobStatuses).toMatchObject({ type: 'array', items: { $ref: ref('JobStatus') } });
    expect(Object.keys(doc.paths['/api/v1/events'].get.responses['200'].content ?? {})).toEqual(['text/event-stream']);
  });

  it('keeps the original field types', () => {
    const s = doc.components.schemas;
    expect(s.JobScheduleDescription.properties?.timeLimitSeconds).toMatchObject({ type: 'integer', format: 'int64', minimum: 1 });
    expect(s.JobScheduleDescription.properties?.backoffLimit).toMatchObject({ type: 'integer', format: 'int32', minimum: 0 });
    expect(s.JobScheduleDescription.properties?.payload).toMatchObject({ type: 'string' });
    expect(s.JobScheduleDescription.properties?.variables).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(s.JobScheduleDescription.properties?.command).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(s.BatchScheduleDescription.required).toEqual(['jobScheduleDescriptions']);
    expect(s.BatchScheduleDescription.properties?.jobScheduleDescriptions).toMatchObject({ type: 'array', items: { $ref: ref('JobScheduleDescription') } });
    expect(s.Node.properties?.gpuCount).toMatchObject({ type: 'string' });
    expect(s.Runtime.properties?.architecture).toMatchObject({ enum: ['amd64', 'arm64'] });
    expect(s.Resources.properties?.limits).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(s.FailurePolicy.properties?.rules).toMatchObject({ type: 'array', maxItems: 20 });
    expect(s.FailurePolicyRule.properties?.action).toMatchObject({ enum: ['FailJob', 'Ignore', 'Count'] });
    // The original's enum for both (radix-job-scheduler.swagger.json), Completed included.
    const statuses = ['Waiting', 'Active', 'Running', 'Succeeded', 'Failed', 'Stopping', 'Stopped', 'Completed'];
    expect(s.JobStatus.properties?.status.enum).toEqual(statuses);
    expect(s.BatchStatus.properties?.status.enum).toEqual(statuses);
    expect(s.JobStatus.properties?.created).toMatchObject({ type: 'string', format: 'date-time' });
    expect(s.JobStatus.properties?.restart).toMatchObject({ type: 'string', format: 'date-time' });
    expect(s.CopyRequest.properties?.imageTagName).toMatchObject({ type: 'string', maxLength: 128 });
    expect(doc.paths['/api/v1/jobs/{jobName}/restart'].post.responses).toHaveProperty('409');
    expect(s.BatchStatus.properties?.jobStatuses).toMatchObject({ type: 'array', items: { $ref: ref('JobStatus') } });
    expect(s.JobStatus.properties?.podStatuses).toMatchObject({ type: 'array', items: { $ref: ref('PodStatus') } });
    expect(s.PodStatus.properties?.exitCode).toMatchObject({ type: 'integer', format: 'int32' });
    expect(s.Status.properties?.code).toMatchObject({ type: 'integer', format: 'int64' });
    expect(s.Status.required).toEqual(expect.arrayContaining(['status', 'message', 'code']));
  });

  it('documents the 403 of a request from a web page (an Origin not in ALLOWED_ORIGINS) on every operation', () => {
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) expect(jsonSchema(operation.responses['403'].content)?.$ref).toBe(ref('Status'));
  });

  it('documents the scheduling extensions: priority, the Idempotency-Key header and the queue', () => {
    const s = doc.components.schemas;
    expect(s.JobScheduleDescription.properties?.priority).toMatchObject({ type: 'integer', minimum: 0, maximum: 1000 });
    expect(s.RadixJobComponentConfig.properties?.priority).toMatchObject({ type: 'integer', minimum: 0, maximum: 1000 });
    expect(s.JobStatus.properties?.queuePosition).toMatchObject({ type: 'integer', minimum: 1 });
    for (const path of ['/api/v1/jobs', '/api/v1/batches']) {
      const create = doc.paths[path].post;
      expect(create.parameters?.find((p) => p.name === 'Idempotency-Key')).toMatchObject({ in: 'header', required: false, schema: { type: 'string' } });
      expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['409', '422']));
    }
    const queue = doc.paths['/api/v1/queue'].get;
    expect(jsonSchema(queue.responses['200'].content)).toEqual({ type: 'array', items: { $ref: ref('QueueEntry') } });
    const query = Object.fromEntries((queue.parameters ?? []).map((p) => [p.name, p]));
    expect(Object.keys(query).sort()).toEqual(['continue', 'limit']);
    expect(query.limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 100 });
    expect(queue.responses['200'].headers?.Link?.schema).toMatchObject({ type: 'string' });
  });

  it('serves the document as YAML too', async () => {
    const yaml = await call<string>(api.url, 'GET', '/swagger/yaml');
    expect(yaml.status).toBe(200);
    expect(yaml.body).toMatch(/^openapi: 3\./m);
    expect(yaml.body).toContain('/api/v1/batches/{batchName}/jobs/{jobName}/stop:');
  });

  it('serves the UI at /swagger', async () => {
    const ui = await call<string>(api.url, 'GET', '/swagger');
    expect(ui.status).toBe(200);
    expect(ui.contentType).toMatch(/^text\/html/);
    expect(ui.body).toContain('swagger-ui');
  });
});

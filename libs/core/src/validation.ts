import type { FieldProblem } from './errors';
import { MAX_PAYLOAD_BYTES, type ResolvedJob, type Resources } from './job-spec';
import { parseQuantity } from './quantity';

const join = (base: string, field: string) => (base ? `${base}.${field}` : field);

/**
 * Rules that need the merged job (per-field rules live with the request DTOs): a payload needs a
 * payload.path on the component and must fit in 1 MB; resource values are quantities and requests
 * do not exceed limits. `payload` is undefined when the job has none (see isPayloadGiven).
 */
export function checkResolvedJob(job: ResolvedJob, payload: string | undefined, path: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (payload !== undefined) {
    if (!job.payloadPath) {
      problems.push({ path: join(path, 'payload'), message: `is not accepted: job component ${job.component} has no payload.path` });
    } else if (Buffer.byteLength(payload, 'utf8') > MAX_PAYLOAD_BYTES) {
      problems.push({ path: join(path, 'payload'), message: `must be at most ${MAX_PAYLOAD_BYTES} bytes` });
    }
  }
  problems.push(...checkResources(job.resources, path));
  return problems;
}

/**
 * Resource values are quantities and requests do not exceed limits: for a merged job, and for the
 * job component itself (libs/config), whose resources every job inherits.
 */
export function checkResources(resources: Resources, path: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { limits = {}, requests = {} } = resources;
  for (const [kind, list] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, value] of Object.entries(list)) {
      if (parseQuantity(value) === undefined) {
        problems.push({ path: join(path, `resources.${kind}.${name}`), message: `must be a valid quantity (e.g. 100m, 1.5Gi), got "${value}"` });
      }
    }
  }
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined) continue;
    const r = parseQuantity(request);
    const l = parseQuantity(limit);
    if (r !== undefined && l !== undefined && r > l) {
      problems.push({ path: join(path, `resources.requests.${name}`), message: `must not exceed the limit (${request} > ${limit})` });
    }
  }
  return problems;
}

import { type FieldProblem, InvalidRequestError } from './errors';
import type { NotificationDocument } from './notifications';
import { singleQueryValue } from './query-parameters';

/** What GET /api/v1/events asks for: filters, and where to resume. */
export interface EventQuery {
  batchName?: string;
  jobName?: string;
  /** The `id:` of the last event the client got (Last-Event-ID); absent: only events from now on. */
  lastEventId?: string;
}

/** An events stream entry id: `<ms>-<sequence>`. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Reads the query and the Last-Event-ID header; InvalidRequestError (422) names what is wrong. */
export function parseEventQuery(query: Record<string, unknown>, lastEventIdHeader: string | string[] | undefined): EventQuery {
  const problems: FieldProblem[] = [];
  const batchName = singleQueryValue(query, 'batchName', problems);
  const jobName = singleQueryValue(query, 'jobName', problems);
  let lastEventId: string | undefined;
  if (Array.isArray(lastEventIdHeader)) problems.push({ path: 'Last-Event-ID', message: 'must be given once' });
  else if (lastEventIdHeader !== undefined && lastEventIdHeader !== '') {
    if (STREAM_ID.test(lastEventIdHeader)) lastEventId = lastEventIdHeader;
    else problems.push({ path: 'Last-Event-ID', message: `must be the id of an event this stream sent (<ms>-<n>), got "${lastEventIdHeader.slice(0, 100)}"` });
  }
  for (const [name, value] of [['batchName', batchName], ['jobName', jobName]] as const) {
    if (value === '') problems.push({ path: name, message: 'must not be empty' });
  }
  if (problems.length) throw new InvalidRequestError(problems);
  return { batchName, jobName, lastEventId };
}

/**
 * The document as a client with these filters sees it: undefined when not about its batch or job;
 * with ?jobName= only that job is left in jobStatuses.
 */
export function filterEvent(document: NotificationDocument, query: EventQuery): NotificationDocument | undefined {
  if (query.batchName !== undefined && document.name !== query.batchName) return undefined;
  if (query.jobName === undefined) return document;
  const jobStatuses = document.jobStatuses.filter((job) => job.name === query.jobName);
  return jobStatuses.length ? { ...document, jobStatuses } : undefined;
}

/** Stream ids in order: `a` after `b`. */
export function streamIdAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

import { BATCH_STATUSES, JOB_STATUSES } from '@rjs/core';

/** The query parameters of a list route besides `limit`, `continue` and `status`. */
export type ListFilterParameter = 'jobId' | 'batchId';

/** What a list route accepts; the same description drives validation and the OpenAPI document. */
export interface ListRoute {
  /** Names the list in its cursors, so that a cursor of one list is refused by another. */
  list: 'jobs' | 'batches' | 'batch-jobs' | 'queue';
  /** What the list holds, in words, for messages and the document. */
  items: string;
  filter: ListFilterParameter;
  /** The values `status` takes. */
  statuses: readonly string[];
}

export const JOB_LIST: ListRoute = { list: 'jobs', items: 'single jobs', filter: 'jobId', statuses: JOB_STATUSES };
export const BATCH_LIST: ListRoute = { list: 'batches', items: 'batches', filter: 'batchId', statuses: BATCH_STATUSES };
export const BATCH_JOB_LIST: ListRoute = { list: 'batch-jobs', items: 'jobs of the batch (jobStatuses)', filter: 'jobId', statuses: JOB_STATUSES };
/** GET /queue: paging only (a `status` or `jobId` is refused there). */
export const QUEUE_LIST: ListRoute = { list: 'queue', items: 'Waiting jobs in launch order', filter: 'jobId', statuses: ['Waiting'] };

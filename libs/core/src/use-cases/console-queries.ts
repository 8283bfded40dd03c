import { type BatchStatusRule, BatchStateTally, type JobState } from '../batch-status';
import { type FieldProblem, InvalidRequestError, notFound } from '../errors';
import { BATCH_STATUSES, type BatchStatus, isFinal, JOB_STATUSES, type JobStatus } from '../job-status';
import { singleQueryValue } from '../query-parameters';
import type { ResolvedJob } from '../job-spec';
import type { IndexEntry, ListIndex, StatusStore } from '../ports';
import type { BatchRecord } from '../records';
import { type BatchStatusView, type JobStatusView, rulesOf, toBatchHeader, toJobView } from '../views';

/** Store reads per call while the console sums up, as the lists read them. */
const NAMES_PER_READ = 1000;
const BATCHES_PER_READ = 100;

/**
 * A filtered page of the console's list stops after summing up this many batches, or batches of
 * this many jobs, full or not (it then gives `next`): a rare status cannot make one request read
 * every record.
 */
export const CONSOLE_SCAN_LIMIT = { batches: 2000, jobs: 100_000 };

export const CONSOLE_MAX_PAGE = 100;

/** A batch (or single job) as a row of the console's list: its own fields and how many of its jobs hold each status. */
export type BatchSummary = Omit<BatchStatusView, 'jobStatuses'> & {
  jobCount: number;
  counts: Record<JobStatus, number>;
  /** A single job's jobId (a batch has batchId). */
  jobId?: string;
};

export interface BatchSummaryPage {
  items: BatchSummary[];
  /** Where the next (older) page starts, when entries may follow. */
  next?: IndexEntry;
}

export interface BatchSummaryRequest {
  kind: ListIndex;
  before?: IndexEntry;
  limit: number;
  statuses?: readonly BatchStatus[];
}

/** The options a job runs with, merged from the component, the batch defaults and the request (its stored spec). */
export interface JobOptionsView {
  image?: string;
  imageTagName?: string;
  timeLimitSeconds: number;
  backoffLimit: number;
  failurePolicy?: ResolvedJob['failurePolicy'];
  resources: ResolvedJob['resources'];
  runtime?: ResolvedJob['runtime'];
  node?: ResolvedJob['node'];
  command?: string[];
  args?: string[];
  /** Every variable; its value only when secrets are shown, else `hidden`. */
  variables: Record<string, string>;
  hasPayload: boolean;
  /** Only when secrets are shown. */
  payload?: string;
}

export interface JobDetails {
  job: JobStatusView;
  batchType: ResolvedJob['batchType'];
  batchName: string;
  /** Absent when the spec is gone (never for a job the store holds). */
  options?: JobOptionsView;
}

export interface FinishedMinute {
  /** The minute's start, RFC3339. */
  start: string;
  Succeeded: number;
  Failed: number;
  Stopped: number;
}

export interface Activity {
  from: string;
  to: string;
  minutes: FinishedMinute[];
}

/** What a variable value or payload shows when the console is read-only. */
export const HIDDEN = 'hidden';

const emptyCounts = (): Record<JobStatus, number> => Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;

/**
 * The console's reads (GET /console/api/...): summaries newest first, a job with its merged
 * options, and the picture of jobs finished per minute. Secrets (payloads, variable values) leave
 * only when the caller says the reader has signed in.
 */
export class ConsoleQueries {
  constructor(
    private readonly store: StatusStore,
    private readonly batchStatusRules: readonly BatchStatusRule[] = [],
  ) {}

  async summaries(request: BatchSummaryRequest): Promise<BatchSummaryPage> {
    const limit = Math.min(Math.max(1, request.limit), CONSOLE_MAX_PAGE);
    const wanted = request.statuses?.length ? new Set<string>(request.statuses) : undefined;
    const items: BatchSummary[] = [];
    let before = request.before;
    let batches = 0;
    let jobs = 0;
    for (;;) {
      const entries = await this.store.readIndexNewestFirst(request.kind, before, wanted ? 20 : limit - items.length);
      if (entries.length === 0) return { items };
      for (const [i, summary] of (await this.summarize(request.kind, entries)).entries()) {
        before = entries[i];
        batches++;
        jobs += summary?.jobCount ?? 0;
        if (summary && (!wanted || wanted.has(summary.status))) items.push(summary);
        if (items.length === limit || batches >= CONSOLE_SCAN_LIMIT.batches || jobs >= CONSOLE_SCAN_LIMIT.jobs) return { items, next: before };
      }
    }
  }

  async jobDetails(name: string, showSecrets: boolean): Promise<JobDetails> {
    const record = await this.store.getJob(name);
    if (!record) throw notFound(`job ${name}`);
    const spec = await this.store.getSpec(name);
    const details: JobDetails = { job: toJobView(record), batchType: record.batchType, batchName: record.batchName };
    if (spec) {
      const variables = Object.fromEntries(Object.entries(spec.variables ?? {}).map(([key, value]) => [key, showSecrets ? value : HIDDEN]));
      const { image, imageTagName, timeLimitSeconds, backoffLimit, failurePolicy, resources, runtime, node, command, args, hasPayload } = spec;
      details.options = { image, imageTagName, timeLimitSeconds, backoffLimit, failurePolicy, resources, runtime, node, command, args, variables, hasPayload };
      if (showSecrets && hasPayload) details.options.payload = await this.store.getPayload(name);
    }
    return details;
  }

  /**
   * Jobs that reached Succeeded, Failed or Stopped, per minute of the `minutes` before `now`. Reads
   * the states of the jobs of the batches that were unfinished or ended in that time (in chunks,
   * nothing held): a batch that ended before has no job that ended since.
   */
  async activity(now: Date, minutes = 60): Promise<Activity> {
    const end = Math.floor(now.getTime() / 60_000) * 60_000 + 60_000;
    const start = end - minutes * 60_000;
    const buckets: FinishedMinute[] = Array.from({ length: minutes }, (_, i) => ({
      start: new Date(start + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Succeeded: 0,
      Failed: 0,
      Stopped: 0,
    }));
    const count = (state: JobState | undefined) => {
      if (!state?.ended || !isFinal(state.status)) return;
      const at = Date.parse(state.ended);
      if (at < start || at >= end) return;
      buckets[Math.floor((at - start) / 60_000)][state.status as 'Succeeded' | 'Failed' | 'Stopped']++;
    };
    for await (const names of this.jobsOfBatches(await this.store.listBatchesEndedSince(new Date(start)))) {
      for (const state of await this.store.getJobStates(names)) count(state);
    }
    return { from: buckets[0].start, to: new Date(end).toISOString().replace(/\.\d{3}Z$/, 'Z'), minutes: buckets };
  }

  private async *jobsOfBatches(batchNames: string[]): AsyncIterable<string[]> {
    for (let i = 0; i < batchNames.length; i += BATCHES_PER_READ) {
      for (const batch of await this.store.getBatches(batchNames.slice(i, i + BATCHES_PER_READ))) {
        const names = batch?.jobNames ?? [];
        for (let j = 0; j < names.length; j += NAMES_PER_READ) yield names.slice(j, j + NAMES_PER_READ);
      }
    }
  }

  private async summarize(kind: ListIndex, entries: IndexEntry[]): Promise<(BatchSummary | undefined)[]> {
    if (kind === 'singles') {
      const jobs = await this.store.getJobs(entries.map((e) => e.name));
      return jobs.map((job) => {
        if (!job) return undefined;
        const counts = emptyCounts();
        counts[job.status] = 1;
        const batch: BatchRecord = { name: job.name, batchType: 'job', created: job.created, jobNames: [job.name] };
        return { ...toBatchHeader(batch, { status: job.status, started: job.started, ended: job.ended, updated: job.updated }), jobId: job.jobId, jobCount: 1, counts };
      });
    }
    const batches = await this.store.getBatches(entries.map((e) => e.name));
    const summaries: (BatchSummary | undefined)[] = [];
    for (const batch of batches) {
      if (!batch) {
        summaries.push(undefined);
        continue;
      }
      const tally = new BatchStateTally(rulesOf(batch, this.batchStatusRules));
      const counts = emptyCounts();
      for (let i = 0; i < batch.jobNames.length; i += NAMES_PER_READ) {
        for (const state of await this.store.getJobStates(batch.jobNames.slice(i, i + NAMES_PER_READ))) {
          if (!state) continue;
          tally.add(state);
          counts[state.status]++;
        }
      }
      summaries.push({ ...toBatchHeader(batch, tally.result()), jobCount: batch.jobNames.length, counts });
    }
    return summaries;
  }
}

/**
 * The query of GET /console/api/batches: `kind` (batches, the default, or singles), `limit` (1..100,
 * default 20), `before` (the `next` of the previous page, `<score>~<name>`), `status` (batch
 * statuses, comma-separated). Every problem is named at once (422).
 */
export function parseSummaryQuery(query: Record<string, unknown>): BatchSummaryRequest {
  const problems: FieldProblem[] = [];
  const kind = singleQueryValue(query, 'kind', problems) ?? 'batches';
  if (kind !== 'batches' && kind !== 'singles') problems.push({ path: 'kind', message: 'must be batches or singles' });
  const limitText = singleQueryValue(query, 'limit', problems) ?? '20';
  const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= CONSOLE_MAX_PAGE)) problems.push({ path: 'limit', message: `must be an integer from 1 to ${CONSOLE_MAX_PAGE}` });
  const beforeText = singleQueryValue(query, 'before', problems);
  const position = beforeText === undefined ? undefined : /^(\d{1,16})~([a-z0-9.-]{1,253})$/.exec(beforeText);
  if (beforeText !== undefined && !position) problems.push({ path: 'before', message: 'must be the next of an earlier page' });
  const statusText = singleQueryValue(query, 'status', problems);
  const statuses = statusText ? statusText.split(',') : undefined;
  const unknown = statuses?.filter((s) => !(BATCH_STATUSES as readonly string[]).includes(s)) ?? [];
  if (unknown.length) problems.push({ path: 'status', message: `must be among ${BATCH_STATUSES.join(', ')}, got ${unknown.join(', ')}` });
  if (problems.length) throw new InvalidRequestError(problems);
  return {
    kind: kind as ListIndex,
    limit,
    before: position ? { score: Number(position[1]), name: position[2] } : undefined,
    statuses: statuses as BatchStatus[] | undefined,
  };
}

/** The `before` of the page after one that ended at `entry`. */
export const encodeBefore = (entry: IndexEntry) => `${entry.score}~${entry.name}`;

import { type BatchStatusRule, BatchStateTally, type DerivedBatchState, deriveBatchState, type JobState } from '../batch-status';
import { InvalidRequestError } from '../errors';
import { chunks, mapChunks, readAhead } from '../chunks';
import type { BatchStatus, JobStatus } from '../job-status';
import type { IndexEntry, ListIndex, StatusStore } from '../ports';
import type { BatchRecord, JobRecord } from '../records';
import { type JobStatusView, type StreamedBatchView, toBatchHeader, toJobView } from '../views';

/**
 * Records read per store call while a list is answered. A list answer holds about one such chunk
 * at a time, whatever its length: this bounds the API's memory.
 */
export const RECORDS_PER_READ = 1000;

/** Batch records read per store call at most (fewer while the batches are large). */
const BATCHES_PER_READ = 100;

/** The largest page a client may ask for (`limit`). */
export const MAX_PAGE_SIZE = 1000;

/**
 * Where a page starts: after the item with this sort key. A list index sorts by creation time
 * (`score`, ms), then name; a batch's jobs keep their order in the batch, so a job name is enough.
 * A sort key, not an offset: the position stays right while items are added or removed.
 */
export interface ListPosition {
  name: string;
  score?: number;
}

/** Filters of a list; absent ones let everything through. */
export interface ListFilter {
  /** Job statuses in a list of jobs, batch statuses in the list of batches. */
  statuses?: readonly (JobStatus | BatchStatus)[];
  jobId?: string;
  batchId?: string;
}

export interface ListRequest {
  /** At most this many items; the answer then says where the next page starts. */
  limit?: number;
  after?: ListPosition;
  filter?: ListFilter;
}

export interface ListAnswer<T> {
  /** The items in order, a chunk at a time, read from the store as they are consumed. */
  items: AsyncIterable<T[]>;
  /** Where the next page starts: only with a limit, when more items follow this page. */
  next?: ListPosition;
}

/** A batch with its jobs (a page of them, with a request that pages). */
export interface BatchAnswer {
  /**
   * The batch's own fields, once all of its jobs are summed up. Its jobs may be read (ahead)
   * meanwhile: summing up waits for Redis, which has the API wait too unless it has other work.
   */
  batch: Promise<StreamedBatchView['batch']>;
  jobStatuses: AsyncIterable<JobStatusView[]>;
  next?: ListPosition;
}

/** An item found at a position of a list. */
interface Found<T> {
  position: ListPosition;
  item: T;
}

/** How one list is read: the positions in order, and what is found (and matches) at them. */
interface ListSource<T> {
  positions(after: ListPosition | undefined, count: number): AsyncIterable<ListPosition[]>;
  /** The items at these positions that exist and match the filter, in order, in groups of bounded size. */
  find(positions: ListPosition[]): AsyncIterable<Found<T>[]>;
  /** Whether `find` filters: a page is then chosen by finding, otherwise from the positions alone. */
  filtered: boolean;
}

/**
 * The lists of the API (`GET /jobs`, `/batches`, `/batches/{name}`), read in chunks of
 * RECORDS_PER_READ as they are written. With a limit, the page's positions are chosen first (from
 * the index alone when nothing is filtered), so that the next page's position is known before the
 * first item is written; then its records are read again.
 */
export class ListReading {
  /** `rules`: the job component's batchStatusRules (every batch listed here is of type `batch`). */
  constructor(
    private readonly store: StatusStore,
    private readonly rules: readonly BatchStatusRule[] = [],
  ) {}

  /** Single jobs, oldest first. */
  singleJobs(request: ListRequest): Promise<ListAnswer<JobStatusView>> {
    const source: ListSource<JobRecord> = {
      positions: (after, count) => this.indexPositions('singles', after, count),
      find: this.jobFinder((names) => this.store.getJobs(names), request.filter),
      filtered: isJobFilter(request.filter),
    };
    return readList(source, request, toJobView);
  }

  /** Batches of type `batch`, oldest first, each with all of its jobs. */
  batches(request: ListRequest): Promise<ListAnswer<StreamedBatchView>> {
    const { statuses, batchId } = request.filter ?? {};
    const source: ListSource<BatchItem> = {
      positions: (after, count) => this.indexPositions('batches', after, count),
      find: (positions) => this.findBatches(positions, request.filter),
      filtered: statuses !== undefined || batchId !== undefined,
    };
    return readList(source, request, (item) => ({
      batch: toBatchHeader(item.batch, item.state),
      jobStatuses: item.jobs ? once(item.jobs.map(toJobView)) : this.jobViews(item.batch.jobNames),
    }));
  }

  /**
   * A batch with its jobs; the request pages and filters the jobs. The batch's own status comes
   * from all of its jobs: they are summed up from what it needs of each (read again, whole, for
   * the answer; kept from the first read when they fit in one).
   */
  async batch(batch: BatchRecord, request: ListRequest): Promise<BatchAnswer> {
    const names = batch.jobNames;
    const after = (position: ListPosition | undefined) => (position ? names.indexOf(position.name) + 1 : 0);
    if (request.after && after(request.after) === 0) throw invalidPosition(`it does not point into the batch ${batch.name}`);
    const summed = this.sumUpJobs(names);
    // A batch that fits in one read is read once; a larger one is read again meanwhile.
    const small = names.length <= RECORDS_PER_READ;
    const known = small ? summed.then(({ records }) => new Map(records!.map((r) => [r.name, r]))) : undefined;
    // Awaited later, by whoever writes the answer; a failure meanwhile is not an unhandled rejection.
    known?.catch(() => undefined);
    const read = known
      ? async (n: string[]) => {
          const byName = await known;
          return n.map((name) => byName.get(name));
        }
      : (n: string[]) => this.store.getJobs(n);
    const source: ListSource<JobRecord> = {
      positions: (position, count) => slices(names, after(position), count, (name) => ({ name })),
      find: this.jobFinder(read, request.filter),
      filtered: isJobFilter(request.filter),
    };
    const answer = await readList(source, request, toJobView);
    const header = summed.then(({ state }) => toBatchHeader(batch, state));
    header.catch(() => undefined);
    return { batch: header, jobStatuses: answer.items, next: answer.next };
  }

  private indexPositions(index: ListIndex, after: ListPosition | undefined, count: number): AsyncIterable<ListPosition[]> {
    if (after && !Number.isFinite(after.score)) throw invalidPosition('it has no creation time');
    let position = after as IndexEntry | undefined;
    let more = true;
    return chunks(async () => {
      if (!more) return undefined;
      const entries = await this.store.readIndex(index, position, count);
      more = entries.length === count;
      position = entries[entries.length - 1];
      return entries.length ? entries : undefined;
    });
  }

  private jobFinder(read: (names: string[]) => Promise<(JobRecord | undefined)[]>, filter: ListFilter | undefined) {
    const matches = jobMatcher(filter);
    return (positions: ListPosition[]): AsyncIterable<Found<JobRecord>[]> =>
      once(
        read(positions.map((p) => p.name)).then((records) => {
          const found: Found<JobRecord>[] = [];
          records.forEach((record, i) => {
            if (record && matches(record)) found.push({ position: positions[i], item: record });
          });
          return found;
        }),
      );
  }

  /**
   * The batches at these positions with their state. Small batches have their jobs read together
   * (one read for many) and kept for the answer; a batch larger than one read is summed up chunk
   * by chunk, and its jobs are read again while it is written.
   */
  private async *findBatches(positions: ListPosition[], filter: ListFilter | undefined): AsyncGenerator<Found<BatchItem>[]> {
    const statuses = filter?.statuses && new Set<string>(filter.statuses);
    const keep = (item: BatchItem) => !statuses || statuses.has(item.state.status);
    let small: Found<BatchRecord>[] = [];
    let smallJobs = 0;
    const readSmall = async (): Promise<Found<BatchItem>[]> => {
      const jobs = await this.store.getJobs(small.flatMap((s) => s.item.jobNames));
      let offset = 0;
      const found: Found<BatchItem>[] = [];
      for (const { position, item: batch } of small) {
        const own = jobs.slice(offset, (offset += batch.jobNames.length)).filter((j): j is JobRecord => j !== undefined);
        const item = { batch, state: deriveBatchState(own, this.rules), jobs: own };
        if (keep(item)) found.push({ position, item });
      }
      small = [];
      smallJobs = 0;
      return found;
    };
    for await (const group of this.batchRecords(positions)) {
      for (const { position, item: batch } of group) {
        if (batch.batchType !== 'batch' || (filter?.batchId !== undefined && batch.batchId !== filter.batchId)) continue;
        if (batch.jobNames.length <= RECORDS_PER_READ) {
          small.push({ position, item: batch });
          smallJobs += batch.jobNames.length;
          if (smallJobs >= RECORDS_PER_READ) yield await readSmall();
          continue;
        }
        if (small.length) yield await readSmall();
        const item = { batch, state: (await this.sumUpJobs(batch.jobNames, false)).state };
        if (keep(item)) yield [{ position, item }];
      }
    }
    if (small.length) yield await readSmall();
  }

  /**
   * The batch records at these positions, read many at a time while they are small. A record
   * lists its job names, so the next read takes fewer when the last ones were large: the records
   * held at once name about RECORDS_PER_READ jobs, whatever the batches' sizes.
   */
  private async *batchRecords(positions: ListPosition[]): AsyncGenerator<Found<BatchRecord>[]> {
    let count = BATCHES_PER_READ;
    for (let i = 0; i < positions.length; ) {
      const group = positions.slice(i, (i += count));
      const records = await this.store.getBatches(group.map((p) => p.name));
      const found: Found<BatchRecord>[] = [];
      let jobs = 0;
      records.forEach((batch, j) => {
        if (!batch) return;
        found.push({ position: group[j], item: batch });
        jobs += batch.jobNames.length;
      });
      count = Math.max(1, Math.min(BATCHES_PER_READ, Math.floor((count * RECORDS_PER_READ) / Math.max(jobs, 1))));
      yield found;
    }
  }

  /** The state of a batch from all of its jobs; the records too when they fit in one read (and `keep`). */
  private async sumUpJobs(names: string[], keep = true): Promise<{ state: DerivedBatchState; records?: JobRecord[] }> {
    if (keep && names.length <= RECORDS_PER_READ) {
      const records = (await this.store.getJobs(names)).filter((j): j is JobRecord => j !== undefined);
      return { state: deriveBatchState(records, this.rules), records };
    }
    const tally = new BatchStateTally(this.rules);
    for await (const jobs of readAhead(this.jobStateChunks(names), 2)) for (const job of jobs) if (job) tally.add(job);
    return { state: tally.result() };
  }

  private jobViews(names: string[]): AsyncIterable<JobStatusView[]> {
    return mapChunks(slices(names, 0, RECORDS_PER_READ), async (chunk) =>
      (await this.store.getJobs(chunk)).filter((j): j is JobRecord => j !== undefined).map(toJobView),
    );
  }

  private jobStateChunks(names: string[]): AsyncIterable<(JobState | undefined)[]> {
    return mapChunks(slices(names, 0, RECORDS_PER_READ), (chunk) => this.store.getJobStates(chunk));
  }
}

interface BatchItem {
  batch: BatchRecord;
  state: DerivedBatchState;
  /** Kept for a small batch, whose jobs were read with others; a large one's are read as it is written. */
  jobs?: JobRecord[];
}

async function readList<T, V>(source: ListSource<T>, { limit, after }: ListRequest, view: (item: T) => V): Promise<ListAnswer<V>> {
  if (limit === undefined) return { items: views(found(source, source.positions(after, RECORDS_PER_READ)), view) };
  const candidates = source.filtered ? positionsOf(found(source, source.positions(after, RECORDS_PER_READ))) : source.positions(after, Math.min(limit + 1, RECORDS_PER_READ));
  const { page, more } = await takePage(candidates, limit);
  return { items: views(found(source, slices(page, 0, RECORDS_PER_READ)), view), next: more ? page[page.length - 1] : undefined };
}

/** The first `limit` positions, and whether one more follows (reading stops there). */
async function takePage(positions: AsyncIterable<ListPosition[]>, limit: number): Promise<{ page: ListPosition[]; more: boolean }> {
  const page: ListPosition[] = [];
  for await (const chunk of positions) {
    for (const position of chunk) {
      if (page.length === limit) return { page, more: true };
      page.push(position);
    }
  }
  return { page, more: false };
}

/** The items found at each chunk of positions, group by group. */
function found<T>(source: ListSource<T>, positions: AsyncIterable<ListPosition[]>): AsyncIterable<Found<T>[]> {
  const outer = positions[Symbol.asyncIterator]();
  let inner: AsyncIterator<Found<T>[]> | undefined;
  return chunks(async () => {
    for (;;) {
      const group = inner && (await inner.next());
      if (group && !group.done) return group.value;
      const chunk = await outer.next();
      if (chunk.done) return undefined;
      inner = source.find(chunk.value)[Symbol.asyncIterator]();
    }
  });
}

function positionsOf<T>(groups: AsyncIterable<Found<T>[]>): AsyncIterable<ListPosition[]> {
  return mapChunks(groups, (group) => group.map((f) => f.position));
}

function views<T, V>(groups: AsyncIterable<Found<T>[]>, view: (item: T) => V): AsyncIterable<V[]> {
  return mapChunks(groups, (group) => group.map((f) => view(f.item)));
}

/** One chunk, kept only until it is handed on. */
function once<T>(chunk: Promise<T> | T): AsyncIterable<T> {
  let pending: Promise<T> | T | undefined = chunk;
  return chunks(async () => {
    const value = pending;
    pending = undefined;
    return value;
  });
}

/** `items` from `start` in slices of `count` (mapped by `map`). */
function slices<T, U = T>(items: T[], start: number, count: number, map?: (item: T) => U): AsyncIterable<U[]> {
  let next = start;
  return chunks(async () => {
    if (next >= items.length) return undefined;
    const slice = items.slice(next, (next += count));
    return map ? slice.map(map) : (slice as unknown as U[]);
  });
}

/** The position comes from a client (the `continue` parameter). */
function invalidPosition(why: string): InvalidRequestError {
  return new InvalidRequestError([{ path: 'continue', message: `is not a position in this list: ${why}` }]);
}

function isJobFilter(filter: ListFilter | undefined): boolean {
  return filter?.statuses !== undefined || filter?.jobId !== undefined;
}

function jobMatcher(filter: ListFilter | undefined): (job: JobRecord) => boolean {
  const statuses = filter?.statuses && new Set<string>(filter.statuses);
  const jobId = filter?.jobId;
  return (job) => (!statuses || statuses.has(job.status)) && (jobId === undefined || job.jobId === jobId);
}

import { CONSOLE_SCAN_LIMIT, ConsoleQueries, encodeBefore, HIDDEN, type IndexEntry, InvalidRequestError, type JobStatus, parseSummaryQuery } from '@rjs/core';
import { newBatch, withStore } from './store-fixtures';
import type { RedisStatusStore } from '@rjs/store';

/** The console's reads (libs/core ConsoleQueries) on a RedisStatusStore over a real redis-server. */
describe('the console\'s reads', () => {
  let store: RedisStatusStore;
  withStore((bed) => {
    store = bed.store;
  });

  const created = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('.000Z', 'Z');
  const finish = (name: string, status: JobStatus, ended?: string) => store.update(name, (r) => ({ ...r, status, ...(ended ? { ended, started: ended } : {}) }));

  describe('readIndexNewestFirst', () => {
    it('walks an index newest first, page by page, without skipping or repeating entries that share a creation time', async () => {
      // Ten batches over four creation times: ties are broken by name, in reverse.
      for (let i = 0; i < 10; i++) await store.create(newBatch(`b${i}`, 1, { created: created(i % 4) }));
      const forwards: IndexEntry[] = [];
      for (let page = await store.readIndex('batches', undefined, 3); page.length; page = await store.readIndex('batches', page[page.length - 1], 3)) forwards.push(...page);

      const backwards: IndexEntry[] = [];
      for (let page = await store.readIndexNewestFirst('batches', undefined, 3); page.length; page = await store.readIndexNewestFirst('batches', page[page.length - 1], 3)) {
        expect(page.length).toBeLessThanOrEqual(3);
        backwards.push(...page);
      }
      expect(backwards).toHaveLength(10);
      expect(backwards).toEqual([...forwards].reverse());
    });

    it('goes on from where a page ended even when that entry is gone since', async () => {
      for (let i = 0; i < 4; i++) await store.create(newBatch(`b${i}`, 1, { created: created(i) }));
      const [, second] = await store.readIndexNewestFirst('batches', undefined, 2);
      await store.deleteBatch(second.name);
      expect((await store.readIndexNewestFirst('batches', second, 5)).map((e) => e.name)).toEqual(['b1', 'b0']);
    });
  });

  describe('listBatchesEndedSince', () => {
    it('names the batches with a job not final and those whose last job ended at or after the time, single jobs\' too', async () => {
      await store.create(newBatch('open', 2));
      await store.create(newBatch('recent', 1));
      await store.create(newBatch('old', 1));
      await store.create(newBatch('single', 1, { type: 'job' }));
      await finish('open-job0', 'Succeeded', '2026-01-01T09:00:00Z');
      await finish('recent-job0', 'Failed', '2026-01-01T11:00:00Z');
      await finish('old-job0', 'Succeeded', '2026-01-01T09:59:59Z');
      await finish('single-job0', 'Stopped', '2026-01-01T10:00:00Z');

      expect((await store.listBatchesEndedSince(new Date('2026-01-01T10:00:00Z'))).sort()).toEqual(['open', 'recent', 'single']);
      expect((await store.listBatchesEndedSince(new Date('2026-01-01T12:00:00Z'))).sort()).toEqual(['open']);
    });
  });

  describe('summaries', () => {
    it('sums up each batch\'s jobs by status, newest first, and pages with `next`', async () => {
      await store.create(newBatch('old', 2, { created: created(1) }));
      await store.create(newBatch('mid', 3, { created: created(2) }));
      await store.create(newBatch('new', 4, { created: created(3) }));
      await finish('new-job0', 'Succeeded', created(10));
      await finish('new-job1', 'Failed', created(11));
      await finish('new-job2', 'Running');
      for (const job of ['mid-job0', 'mid-job1', 'mid-job2']) await finish(job, 'Succeeded', created(12));
      const queries = new ConsoleQueries(store);

      const first = await queries.summaries({ kind: 'batches', limit: 2 });
      expect(first.items.map((b) => [b.name, b.status, b.jobCount])).toEqual([
        ['new', 'Running', 4],
        ['mid', 'Succeeded', 3],
      ]);
      expect(first.items[0].counts).toEqual({ Waiting: 1, Active: 0, Running: 1, Succeeded: 1, Failed: 1, Stopping: 0, Stopped: 0 });
      expect(first.items[1]).toMatchObject({ ended: created(12), counts: { Succeeded: 3 } });
      const second = await queries.summaries({ kind: 'batches', limit: 2, before: first.next });
      expect(second.items.map((b) => b.name)).toEqual(['old']);
      expect(second.next).toBeUndefined();
    });

    it('keeps only the batches of the statuses asked for, by the component\'s batchStatusRules where they match', async () => {
      for (const [i, name] of ['a', 'b', 'c'].entries()) await store.create(newBatch(name, 1, { created: created(i) }));
      await finish('a-job0', 'Failed', created(5));
      await finish('c-job0', 'Failed', created(6));
      const plain = new ConsoleQueries(store);
      expect((await plain.summaries({ kind: 'batches', limit: 10, statuses: ['Failed'] })).items.map((b) => b.name)).toEqual(['c', 'a']);
      const ruled = new ConsoleQueries(store, [{ condition: 'Any', operator: 'In', jobStatuses: ['Failed'], batchStatus: 'Completed' }]);
      expect((await ruled.summaries({ kind: 'batches', limit: 10, statuses: ['Completed'] })).items.map((b) => b.name)).toEqual(['c', 'a']);
      expect((await ruled.summaries({ kind: 'batches', limit: 10, statuses: ['Failed'] })).items).toEqual([]);
    });

    it('stops a filtered page after looking at 2,000 batches, and goes on from there with `next`', async () => {
      for (let i = 0; i < CONSOLE_SCAN_LIMIT.batches + 5; i++) await store.create(newBatch(`b${String(i).padStart(4, '0')}`, 1, { created: created(i) }));
      await finish('b0001-job0', 'Failed', created(9000));
      const queries = new ConsoleQueries(store);

      const first = await queries.summaries({ kind: 'batches', limit: 20, statuses: ['Failed'] });
      expect(first.items).toEqual([]);
      expect(first.next?.name).toBe('b0005');
      const second = await queries.summaries({ kind: 'batches', limit: 20, statuses: ['Failed'], before: first.next });
      expect(second.items.map((b) => b.name)).toEqual(['b0001']);
      expect(second.next).toBeUndefined();
    });

    it('lists single jobs, with their jobId, as batches of one', async () => {
      const single = newBatch('s', 1, { type: 'job', created: created(1) });
      single.jobs[0].record.jobId = 'nightly';
      await store.create(single);
      const { items } = await new ConsoleQueries(store).summaries({ kind: 'singles', limit: 5 });
      expect(items).toEqual([expect.objectContaining({ name: 's-job0', batchType: 'job', jobId: 'nightly', status: 'Waiting', jobCount: 1 })]);
    });
  });

  describe('jobDetails', () => {
    const withSecrets = () => {
      const batch = newBatch('s', 1, { type: 'job', payload: () => 'the payload' });
      Object.assign(batch.jobs[0].spec, { variables: { TOKEN: 'the value' }, backoffLimit: 2, runtime: { nodeType: 'gpu-nvidia-v100' } });
      return batch;
    };

    it('shows the merged options with variable names only, and no payload, to a read-only console', async () => {
      await store.create(withSecrets());
      const details = await new ConsoleQueries(store).jobDetails('s-job0', false);
      expect(details.options).toEqual(expect.objectContaining({ backoffLimit: 2, runtime: { nodeType: 'gpu-nvidia-v100' }, variables: { TOKEN: HIDDEN }, hasPayload: true }));
      expect(JSON.stringify(details)).not.toMatch(/the payload|the value/);
    });

    it('shows the payload and the variable values once signed in', async () => {
      await store.create(withSecrets());
      const details = await new ConsoleQueries(store).jobDetails('s-job0', true);
      expect(details.options).toMatchObject({ variables: { TOKEN: 'the value' }, payload: 'the payload' });
    });

    it('answers NotFound for a job the store does not hold', async () => {
      await expect(new ConsoleQueries(store).jobDetails('nothing', true)).rejects.toMatchObject({ code: 'NotFound', message: 'job nothing is not found' });
    });
  });

  describe('activity', () => {
    it('counts the jobs that ended in each of the last 60 minutes by final status, of batches and single jobs', async () => {
      const now = new Date('2026-01-01T12:30:20Z');
      await store.create(newBatch('b', 5));
      await store.create(newBatch('s', 1, { type: 'job' }));
      await finish('b-job0', 'Succeeded', '2026-01-01T12:30:05Z');
      await finish('b-job1', 'Failed', '2026-01-01T12:30:10Z');
      await finish('b-job2', 'Stopped', '2026-01-01T11:31:59Z');
      await finish('b-job3', 'Succeeded', '2026-01-01T11:30:59Z'); // before the hour
      await finish('s-job0', 'Succeeded', '2026-01-01T12:30:00Z');
      await store.create(newBatch('long-done', 1));
      await finish('long-done-job0', 'Succeeded', '2026-01-01T10:00:00Z');

      const activity = await new ConsoleQueries(store).activity(now);

      expect(activity.minutes).toHaveLength(60);
      expect([activity.from, activity.to]).toEqual(['2026-01-01T11:31:00Z', '2026-01-01T12:31:00Z']);
      expect(activity.minutes[59]).toEqual({ start: '2026-01-01T12:30:00Z', Succeeded: 2, Failed: 1, Stopped: 0 });
      expect(activity.minutes[0]).toEqual({ start: '2026-01-01T11:31:00Z', Succeeded: 0, Failed: 0, Stopped: 1 });
      const total = activity.minutes.reduce((sum, m) => sum + m.Succeeded + m.Failed + m.Stopped, 0);
      expect(total).toBe(4);
    });
  });
});

describe('parseSummaryQuery', () => {
  it('takes the defaults when nothing is given', () => {
    expect(parseSummaryQuery({})).toEqual({ kind: 'batches', limit: 20, before: undefined, statuses: undefined });
  });

  it('reads kind, limit, before and status', () => {
    const before = encodeBefore({ score: 1767225600000, name: 'batch-compute-20260101000000-abcdefgh' });
    expect(parseSummaryQuery({ kind: 'singles', limit: '5', before, status: 'Failed,Completed' })).toEqual({
      kind: 'singles',
      limit: 5,
      before: { score: 1767225600000, name: 'batch-compute-20260101000000-abcdefgh' },
      statuses: ['Failed', 'Completed'],
    });
  });

  it.each([
    [{ kind: 'jobs' }, 'kind must be batches or singles'],
    [{ limit: '0' }, 'limit must be an integer from 1 to 100'],
    [{ limit: '101' }, 'limit must be an integer from 1 to 100'],
    [{ limit: '2.5' }, 'limit must be an integer from 1 to 100'],
    [{ before: 'yesterday' }, 'before must be the next of an earlier page'],
    [{ status: 'Done' }, 'status must be among Waiting, Active, Running, Succeeded, Failed, Stopping, Stopped, Completed, got Done'],
    [{ limit: ['1', '2'] }, 'limit must be given once'],
    [{ kind: 'x', limit: 'y' }, 'kind must be batches or singles; limit must be an integer from 1 to 100'],
  ])('refuses %j: %s', (query, message) => {
    let thrown: unknown;
    try {
      parseSummaryQuery(query);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRequestError);
    expect((thrown as Error).message).toBe(message);
  });
});

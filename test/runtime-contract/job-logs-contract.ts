import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type AttemptRef, ErrorCode, type JobLogs, type JobRuntime, type ResolvedJob } from '@rjs/core';
import { CollectingSink } from './collecting-sink';
import { eventually } from '../support/eventually';
import { aJob, printedLines as lines } from './job-builder';

export interface JobLogsHarness {
  /** Runs the jobs whose output is read. */
  runtime: JobRuntime;
  logs: JobLogs;
  cleanup(): Promise<void>;
}

/** Everything the stream gives, and when each chunk came. */
async function drain(stream: Readable): Promise<{ text: string; arrivals: number[] }> {
  const chunks: Buffer[] = [];
  const arrivals: number[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    arrivals.push(Date.now());
  }
  return { text: Buffer.concat(chunks).toString('utf8'), arrivals };
}

/**
 * What every JobLogs adapter promises, through the port only, for jobs its runtime runs (the test
 * job program, printing known lines): the output of the latest or an earlier attempt, its last
 * lines, a follow that gives lines as they come and ends with the attempt, and NotFound once the
 * job's output is gone.
 */
export function describeJobLogsContract(adapterName: string, makeHarness: () => Promise<JobLogsHarness>): void {
  describe(`JobLogs contract: ${adapterName}`, () => {
    let harness: JobLogsHarness;
    let sink: CollectingSink;
    let scratch: string;

    beforeEach(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'rjs-logs-contract-'));
      harness = await makeHarness();
      sink = new CollectingSink();
      await harness.runtime.start(sink.sink);
    });

    afterEach(async () => {
      await harness.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    });

    /** Launches the job and waits for its end; the attempt numbers are those of its podStatuses. */
    async function ran(job: ResolvedJob): Promise<(attempt: number) => AttemptRef> {
      await harness.runtime.launch(job, undefined);
      const pods = (await sink.final(job.name)).podStatuses ?? [];
      return (attempt) => ({ jobName: job.name, attempt, podName: pods[attempt - 1].name });
    }

    it('gives what an attempt printed: stdout and stderr, each line whole and in its order', async () => {
      const job = aJob().printing(3, { stderrLines: 2 }).build();
      const attempt = await ran(job);

      const { text } = await drain(await harness.logs.open(attempt(1), { follow: false }));

      const printed = text.split('\n');
      expect(text.endsWith('\n')).toBe(true);
      expect([...printed].sort()).toEqual(['', 'attempt 1 error 1', 'attempt 1 error 2', 'attempt 1 line 1', 'attempt 1 line 2', 'attempt 1 line 3']);
      expect(printed.filter((line) => line.includes(' line '))).toEqual(['attempt 1 line 1', 'attempt 1 line 2', 'attempt 1 line 3']);
      expect(printed.filter((line) => line.includes(' error '))).toEqual(['attempt 1 error 1', 'attempt 1 error 2']);
    });

    it('gives each attempt its own output', async () => {
      const job = aJob().printing(2).failingFirst(1, join(scratch, 'attempts')).withBackoffLimit(1).build();
      const attempt = await ran(job);

      expect((await drain(await harness.logs.open(attempt(1), { follow: false }))).text).toBe(lines(1, 1, 2));
      expect((await drain(await harness.logs.open(attempt(2), { follow: false }))).text).toBe(lines(2, 1, 2));
    });

    it.each([
      { tailLines: 3, expected: lines(1, 8, 10) },
      { tailLines: 1, expected: lines(1, 10, 10) },
      { tailLines: 0, expected: '' },
      { tailLines: 50, expected: lines(1, 1, 10) },
    ])('gives only the last $tailLines lines when asked', async ({ tailLines, expected }) => {
      const attempt = await ran(aJob().printing(10).build());
      expect((await drain(await harness.logs.open(attempt(1), { tailLines, follow: false }))).text).toBe(expected);
    });

    it('follows a running attempt: lines come as they are printed, and the stream ends when the attempt ends', async () => {
      const job = aJob().printing(6, { intervalMs: 400 }).build();
      await harness.runtime.launch(job, undefined);
      const running = await sink.until(job.name, (o) => o.kind === 'running' && !!o.podStatuses?.[0]?.containerStarted, 'a running attempt');
      const stream = await harness.logs.open({ jobName: job.name, attempt: 1, podName: running.podStatuses![0].name }, { follow: true });

      const { text, arrivals } = await drain(stream);
      const ended = Date.now();

      expect(text).toBe(lines(1, 1, 6));
      // Lines came over the ~2 s the job printed, not all at once at its end.
      expect(arrivals.length).toBeGreaterThan(1);
      expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThan(1000);
      // The job exits right after its last line: the stream ended with it, not long after.
      expect(ended - arrivals.at(-1)!).toBeLessThan(3000);
      expect((await sink.final(job.name, 10_000)).kind).toBe('succeeded');
    });

    it('ends a follow of an attempt that has ended once it has given its output, tailLines applied', async () => {
      const attempt = await ran(aJob().printing(5).build());
      const started = Date.now();
      const { text } = await drain(await harness.logs.open(attempt(1), { tailLines: 2, follow: true }));
      expect(text).toBe(lines(1, 4, 5));
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('answers NotFound once the job is removed', async () => {
      const job = aJob().printing(1).build();
      const attempt = await ran(job);
      await harness.runtime.remove(job.name);

      // Kubernetes removes the pods in the background, after the Job.
      const error = await eventually(
        () =>
          harness.logs.open(attempt(1), { follow: false }).then(
            (stream) => void stream.destroy(),
            (failure: unknown) => failure,
          ),
        'the logs to be gone',
        20_000,
      );
      expect(error).toMatchObject({ code: ErrorCode.NotFound, message: expect.stringContaining(job.name) });
    });
  });
}

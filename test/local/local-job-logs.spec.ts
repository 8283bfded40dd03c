import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type AttemptRef, ErrorCode } from '@rjs/core';
import { JobDirectory, LocalJobLogs } from '@rjs/runtime';
import { CollectingSink } from '../runtime-contract/collecting-sink';
import { eventually } from '../support/eventually';
import { aJob, uniqueJobName } from '../runtime-contract/job-builder';
import { openPaths } from '../support/open-files';
import { makeLocalHarness } from './local-harness';

const text = async (stream: Readable) => Buffer.concat(await stream.toArray()).toString('utf8');
const first = (jobName: string): AttemptRef => ({ jobName, attempt: 1, podName: `${jobName}-1` });


describe('LocalJobLogs', () => {
  let workDir: string;
  let logs: LocalJobLogs;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'rjs-local-logs-'));
    logs = new LocalJobLogs({ workDir, pollIntervalMs: 100 });
  });

  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  /** An attempt's files as the local runtime leaves them, written by the test. */
  function attemptFiles(stdout: string, stderr: string, jobName = uniqueJobName()) {
    const dir = new JobDirectory(workDir, jobName);
    dir.create();
    writeFileSync(dir.stdoutPath(1), stdout);
    writeFileSync(dir.stderrPath(1), stderr);
    return { dir, jobName };
  }

  describe('what was written before the request', () => {
    it('gives stdout, then stderr, every line ended by a newline', async () => {
      const { jobName } = attemptFiles('out 1\nout 2 without newline', 'err 1\n');
      expect(await text(await logs.open(first(jobName), { follow: false }))).toBe('out 1\nout 2 without newline\nerr 1\n');
    });

    it.each([
      { tailLines: 1, expected: 'err 2\n' },
      { tailLines: 2, expected: 'err 1\nerr 2\n' },
      { tailLines: 3, expected: 'out 3\nerr 1\nerr 2\n' },
      { tailLines: 5, expected: 'out 1\nout 2\nout 3\nerr 1\nerr 2\n' },
      { tailLines: 9, expected: 'out 1\nout 2\nout 3\nerr 1\nerr 2\n' },
    ])('counts tailLines $tailLines from the end of stdout-then-stderr', async ({ tailLines, expected }) => {
      const { jobName } = attemptFiles('out 1\nout 2\nout 3\n', 'err 1\nerr 2\n');
      expect(await text(await logs.open(first(jobName), { tailLines, follow: false }))).toBe(expected);
    });

    it.each([
      { output: 'nothing', stdout: '', tailLines: 2, expected: '' },
      { output: 'one empty line', stdout: '\n', tailLines: 2, expected: '\n' },
      { output: 'an empty line, then one without newline', stdout: 'a\n\nb', tailLines: 2, expected: '\nb\n' },
      { output: 'a line, then an empty one', stdout: 'a\n\n', tailLines: 1, expected: '\n' },
      { output: 'one line without newline', stdout: 'no newline at all', tailLines: 1, expected: 'no newline at all\n' },
    ])('counts empty lines and a last line without newline as lines ($output)', async ({ stdout, tailLines, expected }) => {
      const { jobName } = attemptFiles(stdout, '');
      expect(await text(await logs.open(first(jobName), { tailLines, follow: false }))).toBe(expected);
    });

    it('reads a large log in bounded chunks, and finds its last lines', async () => {
      const line = (i: number) => `line ${String(i).padStart(7, '0')} ${'x'.repeat(80)}\n`;
      const { dir, jobName } = attemptFiles('', '');
      const count = 200_000; // ~18 MB
      for (let start = 1; start <= count; start += 10_000) appendFileSync(dir.stdoutPath(1), Array.from({ length: 10_000 }, (_, i) => line(start + i)).join(''));

      let largest = 0;
      let total = 0;
      for await (const chunk of await logs.open(first(jobName), { follow: false })) {
        largest = Math.max(largest, (chunk as Buffer).length);
        total += (chunk as Buffer).length;
      }
      expect(total).toBe(count * line(1).length);
      // A 64 KiB read, plus the start of a line held from the read before.
      expect(largest).toBeLessThanOrEqual(2 * 64 * 1024);

      expect(await text(await logs.open(first(jobName), { tailLines: 2, follow: false }))).toBe(line(count - 1) + line(count));
    });

    it('answers NotFound when the attempt has no files here', async () => {
      await expect(logs.open(first(uniqueJobName()), { follow: false })).rejects.toMatchObject({
        code: ErrorCode.NotFound,
        message: expect.stringContaining('are not in LOCAL_WORK_DIR on this machine'),
      });
      await expect(logs.open(first('../escape'), { follow: false })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });
  });

  describe('follow', () => {
    it('gives new lines of either stream in the order they are written, and holds a line until it is whole', async () => {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      const { dir, jobName } = attemptFiles('before\n', '');
      dir.claim({ job: jobName, launchedAt: new Date().toISOString(), owner: { pid: process.pid, instance: 'test' }, attempt: 1, process: { pid: child.pid! } });
      try {
        const stream = await logs.open(first(jobName), { follow: true });
        const received: string[] = [];
        stream.on('data', (chunk: Buffer) => received.push(chunk.toString()));
        const got = (expected: string) => eventually(() => received.join('') === expected, `to receive ${JSON.stringify(expected)}, got ${JSON.stringify(received.join(''))}`, 5000);

        await got('before\n');
        appendFileSync(dir.stderrPath(1), 'err 1\n');
        await got('before\nerr 1\n');
        appendFileSync(dir.stdoutPath(1), 'out 1, half');
        appendFileSync(dir.stderrPath(1), 'err 2\n');
        await got('before\nerr 1\nerr 2\n');
        appendFileSync(dir.stdoutPath(1), ' and the rest\n');
        await got('before\nerr 1\nerr 2\nout 1, half and the rest\n');
        expect(stream.readableEnded).toBe(false);

        // The attempt's process ends without any worker recording it (a worker that died).
        child.kill('SIGKILL');
        await new Promise((resolve) => stream.once('end', resolve));
        expect(received.join('')).toBe('before\nerr 1\nerr 2\nout 1, half and the rest\n');
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('ends when a later attempt starts, and when the job is removed', async () => {
      const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      try {
        for (const end of ['later attempt', 'removed'] as const) {
          const { dir, jobName } = attemptFiles('line\n', '');
          const marker = { job: jobName, launchedAt: new Date().toISOString(), owner: { pid: process.pid, instance: 'test' }, attempt: 1, process: { pid: sleeper.pid! } };
          dir.claim(marker);
          const stream = await logs.open(first(jobName), { follow: true });
          const output = text(stream);
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(stream.readableEnded).toBe(false);

          if (end === 'later attempt') dir.updateMarker({ ...marker, attempt: 2 });
          else dir.remove();
          expect(await output).toBe('line\n');
        }
      } finally {
        sleeper.kill('SIGKILL');
      }
    });

    it('closes the files, without ending the stream as complete, when the reader goes away in the middle of a follow', async () => {
      const harness = await makeLocalHarness({ workDir });
      try {
        await harness.runtime.start(new CollectingSink().sink);
        const job = aJob().printing(100, { intervalMs: 100 }).build();
        await harness.runtime.launch(job, undefined);
        const stdoutPath = new JobDirectory(workDir, job.name).stdoutPath(1);
        const stream = await logs.open(first(job.name), { follow: true });
        await new Promise((resolve) => stream.once('data', resolve));
        expect(openPaths()).toContain(stdoutPath);
        let ended = false;
        stream.on('end', () => (ended = true));

        stream.destroy();

        await eventually(() => !openPaths().includes(stdoutPath), 'the log files to be closed', 5000);
        // Destroyed, not ended: a reader must not take what it got for the whole output.
        expect(ended).toBe(false);
      } finally {
        await harness.cleanup();
      }
    });
  });
});

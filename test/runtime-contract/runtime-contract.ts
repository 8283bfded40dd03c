import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRuntime, Observation } from '@rjs/core';
import { eventually } from '../support/eventually';
import { CollectingSink, isFinalObservation } from './collecting-sink';
import { processGone } from '../support/processes';
import { aJob, readJobReport } from './job-builder';

export interface RuntimeHarness {
  runtime: JobRuntime;
  cleanup(): Promise<void>;
  /** What the runtime still keeps for a job (files, objects), described in words; [] when nothing. */
  leftovers?(jobName: string): Promise<string[]>;
}

const lastPods = (observation: Observation) => observation.podStatuses ?? [];

/**
 * What every JobRuntime adapter promises, through the port only: observations reach the sink,
 * has() answers, launch/stop/remove are idempotent. Jobs run test/fixtures/job-program.js, whose
 * behaviour is chosen by variables; the adapter runs it as it would run any job (the local runtime
 * as a child process, the Kubernetes adapter through the fake API server's kubelet).
 */
export function describeRuntimeContract(adapterName: string, makeHarness: () => Promise<RuntimeHarness>): void {
  describe(`JobRuntime contract: ${adapterName}`, () => {
    let harness: RuntimeHarness;
    let runtime: JobRuntime;
    let sink: CollectingSink;
    let scratch: string;

    const attemptsCounted = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0);

    beforeEach(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'rjs-contract-'));
      harness = await makeHarness();
      runtime = harness.runtime;
      sink = new CollectingSink();
      await runtime.start(sink.sink);
    });

    afterEach(async () => {
      await harness.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('reports a job that exits with 0 as succeeded, with its attempt', async () => {
      const job = aJob().exitingWith(0).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name);
      expect(final.kind).toBe('succeeded');
      expect(lastPods(final)).toHaveLength(1);
      expect(lastPods(final)[0]).toMatchObject({ exitCode: 0, replicaStatus: { status: 'Succeeded' } });
      expect(lastPods(final)[0].containerStarted).toBeDefined();
      expect(lastPods(final)[0].endTime).toBeDefined();
      expect(await runtime.has(job.name)).toBe(true);
    });

    it('reports a job that exits with an error as failed, with the exit code and the backoff-limit message', async () => {
      const job = aJob().exitingWith(3).withBackoffLimit(0).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name);
      expect(final).toMatchObject({ kind: 'failed', message: expect.stringMatching(/backoff limit/) });
      expect(lastPods(final)).toHaveLength(1);
      expect(lastPods(final)[0]).toMatchObject({ exitCode: 3, replicaStatus: { status: 'Failed' } });
    });

    it('retries a failing job until backoffLimit, recording every attempt', async () => {
      const counter = join(scratch, 'attempts');
      const job = aJob().exitingWith(1).countingAttemptsIn(counter).withBackoffLimit(2).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name);
      expect(final).toMatchObject({ kind: 'failed', message: expect.stringMatching(/backoff limit/) });
      expect(lastPods(final)).toHaveLength(3);
      for (const pod of lastPods(final)) expect(pod).toMatchObject({ exitCode: 1, replicaStatus: { status: 'Failed' } });
      expect(new Set(lastPods(final).map((p) => p.name)).size).toBe(3);
      expect(attemptsCounted(counter)).toBe(3);
    });

    it('succeeds when a retry succeeds', async () => {
      const counter = join(scratch, 'attempts');
      const job = aJob().failingFirst(1, counter).withBackoffLimit(1).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name);
      expect(final.kind).toBe('succeeded');
      expect(lastPods(final).map((p) => p.replicaStatus.status)).toEqual(['Failed', 'Succeeded']);
    });

    it('kills a job that exceeds its time limit and reports DeadlineExceeded', async () => {
      const report = join(scratch, 'report.json');
      const job = aJob().sleeping(300).withTimeLimit(2).reportingTo(report).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name, 90_000);
      expect(final).toMatchObject({ kind: 'failed', reason: 'DeadlineExceeded', message: expect.stringMatching(/deadline/i) });
      const { pid } = await eventually(() => readJobReport(report), 'the job program to start');
      await eventually(() => processGone(pid), 'the job process to be gone');
    });

    it('fails the job at once when a FailJob rule matches the exit code', async () => {
      const counter = join(scratch, 'attempts');
      const job = aJob().exitingWith(42).countingAttemptsIn(counter).withBackoffLimit(3).failingJobOn(42).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name);
      expect(final).toMatchObject({ kind: 'failed', message: expect.stringContaining('42') });
      expect(lastPods(final)).toHaveLength(1);
      expect(lastPods(final)[0].exitCode).toBe(42);
      expect(attemptsCounted(counter)).toBe(1);
    });

    it('retries without counting towards backoffLimit when an Ignore rule matches', async () => {
      const counter = join(scratch, 'attempts');
      const job = aJob().failingFirst(2, counter).exitingWith(7).withBackoffLimit(0).ignoring(7).build();
      await runtime.launch(job, undefined);

      const final = await sink.final(job.name);
      expect(final.kind).toBe('succeeded');
      expect(lastPods(final).map((p) => p.exitCode)).toEqual([7, 7, 0]);
    });

    it('stops a running job: the process ends and the job reports stopped, never failed', async () => {
      const report = join(scratch, 'report.json');
      const job = aJob().sleeping(300).reportingTo(report).build();
      await runtime.launch(job, undefined);
      const { pid } = await eventually(() => readJobReport(report), 'the job program to start');

      await runtime.stop(job.name);

      await eventually(() => processGone(pid), 'the job process to be gone');
      const final = await sink.final(job.name);
      expect(final.kind).toBe('stopped');
      await runtime.stop(job.name);
      expect(sink.kinds(job.name)).not.toContain('failed');
    });

    it('deletes a running job: the process ends and nothing is left', async () => {
      const report = join(scratch, 'report.json');
      const job = aJob().sleeping(300).reportingTo(report).build();
      await runtime.launch(job, 'some payload');
      const { pid } = await eventually(() => readJobReport(report), 'the job program to start');
      expect(await runtime.has(job.name)).toBe(true);

      await runtime.remove(job.name);

      await eventually(() => processGone(pid), 'the job process to be gone');
      await eventually(async () => !(await runtime.has(job.name)), 'has() to answer false');
      if (harness.leftovers) await eventually(async () => (await harness.leftovers!(job.name)).length === 0, 'nothing left for the job');
      await runtime.remove(job.name);
    });

    it('hands the job the exact payload bytes, its variables and its name', async () => {
      const report = join(scratch, 'report.json');
      const payload = `{"x":1,"text":"héllo ✓ 𝄞"}\n\ttabs, "quotes" and \\ backslashes ${'z'.repeat(10_000)}`;
      const job = aJob().withPayload().withVariables({ GREETING: 'hi there', EMPTY: '' }).reportingTo(report).build();
      await runtime.launch(job, payload);

      expect((await sink.final(job.name)).kind).toBe('succeeded');
      const seen = readJobReport(report)!;
      expect(Buffer.from(seen.payloadBase64 ?? '', 'base64').equals(Buffer.from(payload, 'utf8'))).toBe(true);
      expect(seen.env).toMatchObject({ GREETING: 'hi there', EMPTY: '', RADIX_JOB_NAME: job.name });
      expect(seen.env.JOB_PAYLOAD_FILE).toMatch(/payload$/);
    });

    it('launches a job once however often launch is called', async () => {
      const counter = join(scratch, 'attempts');
      const job = aJob().countingAttemptsIn(counter).sleeping(1).build();
      await Promise.all([runtime.launch(job, undefined), runtime.launch(job, undefined)]);
      await runtime.launch(job, undefined);

      expect((await sink.final(job.name)).kind).toBe('succeeded');
      await runtime.launch(job, undefined);
      expect(attemptsCounted(counter)).toBe(1);
    });

    it('runs a job again as a later run (a restart) under the same name: the earlier run ends first, and its late launch is a no-op', async () => {
      const report = join(scratch, 'report.json');
      const counter = join(scratch, 'attempts');
      const job = aJob().sleeping(300).withPayload().countingAttemptsIn(counter).reportingTo(report).build();
      await runtime.launch(job, 'the payload');
      const first = await eventually(() => readJobReport(report), 'the first run to start');

      await runtime.launch({ ...job, generation: 1 }, 'the payload');

      await eventually(() => processGone(first.pid), 'the first run\'s process to be gone');
      const second = await eventually(() => readJobReport(report)?.pid !== first.pid && readJobReport(report), 'the second run to start');
      expect(second.env.RADIX_JOB_NAME).toBe(job.name);
      expect(Buffer.from(second.payloadBase64 ?? '', 'base64').toString()).toBe('the payload');
      await sink.until(job.name, (o) => o.kind === 'running' && o.generation === 1, 'the second run running');
      // Each observation says its run, and carries that run's attempts only.
      const podsOf = (generation: number) => new Set(sink.of(job.name).filter((o) => (o.generation ?? 0) === generation).flatMap((o) => lastPods(o).map((p) => p.name)));
      expect([...podsOf(1)].filter((name) => podsOf(0).has(name))).toEqual([]);
      expect(sink.of(job.name).filter((o) => (o.generation ?? 0) === 0).map((o) => o.kind)).not.toContain('succeeded');

      await runtime.launch(job, 'the payload');
      await runtime.stop(job.name);
      expect(await sink.until(job.name, (o) => o.kind === 'stopped' && o.generation === 1, 'the second run stopped')).toBeDefined();
      expect(attemptsCounted(counter)).toBe(2);
    });

    it('leaves a finished job finished when asked to stop it', async () => {
      const job = aJob().build();
      await runtime.launch(job, undefined);
      await sink.final(job.name);

      await runtime.stop(job.name);

      const finals = sink.of(job.name).filter(isFinalObservation);
      expect(finals.map((o) => o.kind).every((kind) => kind === 'succeeded')).toBe(true);
    });

    it('treats stop, remove and has of a job it does not know as no-ops', async () => {
      const name = aJob().build().name;
      await expect(runtime.stop(name)).resolves.toBeUndefined();
      await expect(runtime.remove(name)).resolves.toBeUndefined();
      expect(await runtime.has(name)).toBe(false);
      expect(sink.of(name)).toEqual([]);
    });
  });
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermanentLaunchError } from '@rjs/core';
import { JobDirectory, LocalJobRuntime, ORPHAN_MESSAGE, SHUTDOWN_MESSAGE } from '@rjs/runtime';
import { CollectingSink } from '../runtime-contract/collecting-sink';
import { eventually } from '../support/eventually';
import { aJob, readJobReport } from '../runtime-contract/job-builder';
import { processGone } from '../support/processes';
import { makeLocalHarness } from './local-harness';

const readJson = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);
const readEvents = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; job: string })
    : [];

/** A process that has exited: its PID names no live process. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('LocalJobRuntime', () => {
  let scratch: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'rjs-local-spec-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function started(options: Parameters<typeof makeLocalHarness>[0] = {}) {
    const harness = await makeLocalHarness(options);
    cleanups.push(() => harness.cleanup());
    const sink = new CollectingSink();
    await harness.runtime.start(sink.sink);
    return { ...harness, sink };
  }

  it('runs no more than maxRunning jobs at once and starts the others in launch order', async () => {
    const { runtime, sink } = await started({ maxRunning: 1 });
    const events = join(scratch, 'events');
    const jobs = ['a', 'b', 'c'].map((letter) => aJob(`order-${letter}-${Date.now()}`).sleeping(0.3).withVariables({ EVENTS_FILE: events }).build());

    const launches = jobs.map((job) => runtime.launch(job, undefined));
    await sink.until(jobs[0].name, (o) => o.kind === 'running', 'running');
    expect(sink.of(jobs[1].name)).toEqual([]);
    expect(await runtime.has(jobs[1].name)).toBe(true);
    await Promise.all(launches);
    for (const job of jobs) expect((await sink.final(job.name)).kind).toBe('succeeded');

    expect(readEvents(events).map((e) => `${e.event} ${e.job}`)).toEqual(jobs.flatMap((job) => [`start ${job.name}`, `exit ${job.name}`]));
  });

  it('drops a launch still waiting for a slot when the job is stopped, without running it', async () => {
    const { runtime, sink } = await started({ maxRunning: 1 });
    const first = aJob().sleeping(300).build();
    const report = join(scratch, 'second.json');
    const second = aJob().reportingTo(report).build();
    await runtime.launch(first, undefined);
    const secondLaunch = runtime.launch(second, undefined);

    await runtime.stop(second.name);
    await secondLaunch;
    expect((await sink.final(second.name)).kind).toBe('stopped');
    await runtime.stop(first.name);
    expect((await sink.final(first.name)).kind).toBe('stopped');
    expect(existsSync(report)).toBe(false);
    expect(await runtime.has(second.name)).toBe(false);
  });

  it('keeps stdout and stderr of each attempt in the job directory until the job is removed', async () => {
    const { runtime, sink } = await started();
    const job = aJob()
      .failingFirst(1, join(scratch, 'attempts'))
      .withBackoffLimit(1)
      .withVariables({ PRINT: 'to stdout, attempt', PRINT_STDERR: 'to stderr, attempt' })
      .build();
    await runtime.launch(job, undefined);
    await sink.final(job.name);

    const dir = runtime.directoryOf(job.name);
    for (const attempt of [1, 2]) {
      expect(readFileSync(join(dir, `attempt-${attempt}.stdout.log`), 'utf8')).toBe(`to stdout, attempt ${attempt}\n`);
      expect(readFileSync(join(dir, `attempt-${attempt}.stderr.log`), 'utf8')).toBe(`to stderr, attempt ${attempt}\n`);
    }
    await runtime.remove(job.name);
    expect(existsSync(dir)).toBe(false);
  });

  it('sends SIGTERM, then SIGKILL after the grace period to a job that ignores SIGTERM', async () => {
    const { runtime, sink } = await started({ stopGraceSeconds: 1 });
    const report = join(scratch, 'report.json');
    const job = aJob().sleeping(300).reportingTo(report).withVariables({ IGNORE_SIGTERM: '1' }).build();
    await runtime.launch(job, undefined);
    const { pid } = await eventually(() => readJobReport(report), 'the job to start');

    await runtime.stop(job.name);

    expect(processGone(pid)).toBe(true);
    const final = await sink.final(job.name);
    expect(final.kind).toBe('stopped');
    expect(final.podStatuses?.[0]).toMatchObject({ exitCode: 137, replicaStatus: { status: 'Stopped' } });
    expect(readFileSync(join(runtime.directoryOf(job.name), 'attempt-1.stdout.log'), 'utf8')).toContain('ignoring SIGTERM');
  });

  it('ends the processes a job started along with the job', async () => {
    const { runtime, sink } = await started();
    const pidFile = join(scratch, 'grandchild.pid');
    const job = aJob().sleeping(300).withVariables({ GRANDCHILD_PID_FILE: pidFile }).build();
    await runtime.launch(job, undefined);
    const grandchild = Number(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8'), 'the grandchild to start'));
    expect(processGone(grandchild)).toBe(false);

    await runtime.stop(job.name);

    await eventually(() => processGone(grandchild), 'the grandchild to be gone');
    expect((await sink.final(job.name)).kind).toBe('stopped');
  });

  it('launches a job once across two runtime instances sharing a work directory; either can stop it', async () => {
    const a = await started();
    const b = await started({ workDir: a.workDir });
    const counter = join(scratch, 'attempts');
    const report = join(scratch, 'report.json');
    const job = aJob().sleeping(300).countingAttemptsIn(counter).reportingTo(report).build();

    await a.runtime.launch(job, undefined);
    const { pid } = await eventually(() => readJobReport(report), 'the job to start');
    await b.runtime.launch(job, undefined);
    expect(await b.runtime.has(job.name)).toBe(true);

    await b.runtime.stop(job.name);

    expect(processGone(pid)).toBe(true);
    expect((await a.sink.final(job.name)).kind).toBe('stopped');
    expect(readFileSync(counter, 'utf8')).toBe('1');
    expect(b.sink.of(job.name)).toEqual([]);
    await b.runtime.remove(job.name);
    expect(await a.runtime.has(job.name)).toBe(false);
  });

  describe('a restart (a new generation of the job)', () => {
    const pids = (file: string) => readEvents(file).filter((e) => e.event === 'start').length;

    it('ends the running earlier run first, even when it holds the last slot, and runs again under the same name with attempts numbered on', async () => {
      const { runtime, sink, workDir } = await started({ maxRunning: 1 });
      const report = join(scratch, 'report.json');
      const events = join(scratch, 'events');
      const job = aJob().sleeping(300).reportingTo(report).withVariables({ EVENTS_FILE: events }).withPayload().build();
      await runtime.launch(job, 'first payload');
      const first = await eventually(() => readJson<{ pid: number }>(report), 'the first run to start');

      await runtime.launch({ ...job, generation: 1 }, 'first payload');

      expect(processGone(first.pid)).toBe(true);
      // The earlier run's end is reported as of its own generation (the records ignore it).
      expect(sink.of(job.name).find((o) => o.kind === 'stopped')).toMatchObject({ generation: 0, podStatuses: [{ name: `${job.name}-1` }] });
      const second = await eventually(() => {
        const current = readJson<{ pid: number; payloadBase64: string }>(report);
        return current && current.pid !== first.pid && current;
      }, 'the second run to start');
      expect(Buffer.from(second.payloadBase64, 'base64').toString()).toBe('first payload');
      const running = await sink.until(job.name, (o) => o.kind === 'running' && o.generation === 1, 'the second run running');
      expect(running.podStatuses?.map((p) => p.name)).toEqual([`${job.name}-2`]);
      expect(readdirSync(join(workDir, job.name)).filter((f) => f.startsWith('attempt-')).sort()).toEqual([
        'attempt-1.stderr.log',
        'attempt-1.stdout.log',
        'attempt-2.stderr.log',
        'attempt-2.stdout.log',
      ]);
      expect(pids(events)).toBe(2);
      expect(await runtime.has(job.name)).toBe(true);
    });

    it('runs a finished job again, and takes a launch of an earlier run that comes late for a no-op', async () => {
      const { runtime, sink } = await started();
      const events = join(scratch, 'events');
      const job = aJob().withVariables({ EVENTS_FILE: events }).build();
      await runtime.launch(job, undefined);
      expect(await sink.final(job.name)).toMatchObject({ kind: 'succeeded', generation: 0 });

      await runtime.launch({ ...job, generation: 1 }, undefined);
      const again = await sink.until(job.name, (o) => o.kind === 'succeeded' && o.generation === 1, 'the second run to succeed');
      expect(again.podStatuses?.map((p) => p.name)).toEqual([`${job.name}-2`]);

      await runtime.launch(job, undefined);
      await runtime.launch({ ...job, generation: 1 }, undefined);
      expect(pids(events)).toBe(2);
    });

    it('ends an earlier run that another runtime instance supervises, which reports it, before running the new one', async () => {
      const a = await started();
      const b = await started({ workDir: a.workDir });
      const report = join(scratch, 'report.json');
      const job = aJob().sleeping(300).reportingTo(report).build();
      await a.runtime.launch(job, undefined);
      const first = await eventually(() => readJson<{ pid: number }>(report), 'the first run to start');

      await b.runtime.launch({ ...job, generation: 1 }, undefined);

      expect(processGone(first.pid)).toBe(true);
      expect(await a.sink.final(job.name)).toMatchObject({ kind: 'stopped', generation: 0 });
      await b.sink.until(job.name, (o) => o.kind === 'running' && o.generation === 1, 'the second run running');
      expect(a.sink.of(job.name).every((o) => o.generation === 0)).toBe(true);
      await b.runtime.stop(job.name);
      expect(await b.sink.final(job.name)).toMatchObject({ kind: 'stopped', generation: 1, podStatuses: [{ name: `${job.name}-2` }] });
    });
  });

  it('refuses a job without a command, permanently, leaving nothing behind', async () => {
    const { runtime, workDir } = await started();
    const job = aJob().withCommand(undefined, ['--flag']).build();

    const launch = runtime.launch(job, undefined);

    await expect(launch).rejects.toThrow(PermanentLaunchError);
    await expect(launch).rejects.toThrow(/has no command/);
    expect(readdirSync(workDir)).toEqual([]);
    expect(await runtime.has(job.name)).toBe(false);
  });

  it('refuses a job whose program does not exist, permanently', async () => {
    const { runtime, workDir } = await started();
    const job = aJob().withCommand(['/no/such/program-rjs']).build();

    await expect(runtime.launch(job, undefined)).rejects.toThrow(PermanentLaunchError);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('keeps the payload in a private directory and gives the job only a minimal inherited environment', async () => {
    const report = join(scratch, 'report.json');
    const { runtime, sink } = await started({ inheritedEnv: { PATH: '/usr/bin:/bin', HOME: '/home/someone', REDIS_URL: 'redis://secret', NODE_OPTIONS: '--inspect' } });
    const job = aJob().withPayload().sleeping(300).reportingTo(report).build();
    await runtime.launch(job, 'the payload');
    const seen = await eventually(() => readJobReport(report), 'the job to start');

    const dir = runtime.directoryOf(job.name);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'payload')).mode & 0o777).toBe(0o600);
    expect(seen.env.JOB_PAYLOAD_FILE).toBe(join(dir, 'payload'));
    expect(Object.keys(seen.env).sort()).toEqual(['HOME', 'JOB_PAYLOAD_FILE', 'PATH', 'RADIX_JOB_NAME', 'REPORT_FILE', 'SLEEP_SECONDS']);
    await runtime.stop(job.name);
    await sink.final(job.name);
  });

  it('retries a report the sink failed to take, and delivers the latest', async () => {
    const harness = await makeLocalHarness();
    cleanups.push(() => harness.cleanup());
    const delivered: string[] = [];
    let failures = 5;
    await harness.runtime.start(async (_name, observation) => {
      if (failures-- > 0) throw new Error('redis is down');
      delivered.push(observation.kind);
    });
    const job = aJob().build();

    await harness.runtime.launch(job, undefined);

    await eventually(() => delivered.includes('succeeded'), 'the result to be delivered');
    expect(delivered[delivered.length - 1]).toBe('succeeded');
  });

  it('at start, ends a job whose worker process died and reports it failed', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'rjs-local-'));
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    const name = aJob().build().name;
    const dir = new JobDirectory(workDir, name);
    dir.create();
    dir.claim({ job: name, launchedAt: '2024-01-01T00:00:00Z', owner: { pid: await deadPid(), instance: 'gone' } });
    dir.updateMarker({ job: name, launchedAt: '2024-01-01T00:00:00Z', owner: { pid: await deadPid(), instance: 'gone' }, attempt: 1, process: { pid: orphan.pid! } });
    dir.writeStatus({ kind: 'running', at: '2024-01-01T00:00:01Z', podStatuses: [{ name: `${name}-1`, replicaStatus: { status: 'Running' } }] });
    const exited = new Promise((resolve) => orphan.once('exit', resolve));

    const harness = await makeLocalHarness({ workDir });
    cleanups.push(() => harness.cleanup());
    expect(await harness.runtime.has(name)).toBe(false);
    const sink = new CollectingSink();
    await harness.runtime.start(sink.sink);

    await exited;
    expect(await sink.final(name)).toMatchObject({
      kind: 'failed',
      message: ORPHAN_MESSAGE,
      podStatuses: [{ name: `${name}-1`, replicaStatus: { status: 'Failed' } }],
    });
    expect(await harness.runtime.has(name)).toBe(true);
  });

  it('at start, reports again a result that could not be recorded before the last shutdown', async () => {
    const first = await makeLocalHarness({ shutdownReportTimeoutMs: 200 });
    await first.runtime.start(async () => {
      throw new Error('redis is down');
    });
    const job = aJob().build();
    await first.runtime.launch(job, undefined);
    await eventually(() => readJson<{ kind: string }>(join(first.runtime.directoryOf(job.name), 'status.json'))?.kind === 'succeeded', 'the job to end');
    await first.runtime.close();

    const second = await started({ workDir: first.workDir });

    expect((await second.sink.final(job.name)).kind).toBe('succeeded');
  });

  it('on close, ends the jobs it runs and reports them failed because the worker shut down', async () => {
    const harness = await makeLocalHarness();
    const sink = new CollectingSink();
    await harness.runtime.start(sink.sink);
    const report = join(scratch, 'report.json');
    const job = aJob().sleeping(300).reportingTo(report).build();
    await harness.runtime.launch(job, undefined);
    const { pid } = await eventually(() => readJobReport(report), 'the job to start');

    await harness.runtime.close();

    expect(processGone(pid)).toBe(true);
    expect(sink.of(job.name).at(-1)).toMatchObject({ kind: 'failed', message: SHUTDOWN_MESSAGE });
    await harness.cleanup();
  });
});

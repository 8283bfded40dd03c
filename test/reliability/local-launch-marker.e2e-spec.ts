import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObservationSink, ResolvedJob } from '@rjs/core';
import { JobDirectory, LocalJobRuntime, ORPHAN_MESSAGE } from '@rjs/runtime';
import { eventually } from '../support/eventually';
import { countRuns, RECORD_RUN, ScratchDir } from './reliability-support';

/**
 * What a worker killed (kill -9) in the middle of a launch leaves in a job's directory, and what
 * the next worker does with it. Found by worker-crash.slow-spec.ts: a worker killed between
 * spawning a job and recording its process in the marker let another worker launch it again. (One
 * killed while writing the marker left it empty, which blocked the job for good: claim() now links
 * a whole file into place; only the crash scenario can show that.)
 */
describe('a launch interrupted by the death of its worker', () => {
  const scratch = new ScratchDir('rjs-launch-marker-');
  const workDir = join(scratch.path, 'work');
  const runsFile = join(scratch.path, 'runs');
  const observed: { job: string; kind: string; message?: string }[] = [];
  const sink: ObservationSink = async (job, observation) => {
    observed.push({ job, kind: observation.kind, message: 'message' in observation ? observation.message : undefined });
  };
  let runtime: LocalJobRuntime;
  let counter = 0;

  /** The identity of a worker process that has exited. */
  function deadWorker() {
    const exited = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    return { pid: Number(exited.stdout.trim()), instance: 'dead' };
  }

  function job(): ResolvedJob {
    counter++;
    const batchName = `batch-compute-20250101000000-m${String(counter).padStart(7, '0')}`;
    return {
      name: `${batchName}-abcdefgh`,
      batchName,
      batchType: 'job',
      component: 'compute',
      timeLimitSeconds: 60,
      backoffLimit: 0,
      resources: {},
      variables: { RUNS_FILE: runsFile },
      command: ['sh', RECORD_RUN],
      hasPayload: false,
    };
  }

  /** The directory as the dead worker left it: its marker, and maybe the first attempt's logs. */
  function leftBehind(spec: ResolvedJob, { logsOpened }: { logsOpened: boolean }) {
    const dir = new JobDirectory(workDir, spec.name);
    mkdirSync(dir.path, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir.path, 'launched.json'), JSON.stringify({ job: spec.name, launchedAt: new Date().toISOString(), owner: deadWorker() }));
    if (logsOpened) writeFileSync(dir.stdoutPath(1), '');
  }

  function finalObservation(name: string) {
    return eventually(
      () => observed.find((o) => o.job === name && ['succeeded', 'failed', 'stopped'].includes(o.kind)),
      () => `a final observation of ${name}; observed ${JSON.stringify(observed.filter((o) => o.job === name))}`,
      10_000,
    );
  }

  beforeAll(async () => {
    runtime = new LocalJobRuntime({ workDir, maxRunning: 4, stopGraceSeconds: 1, orphanScanIntervalMs: 3_600_000 });
    await runtime.start(sink);
  });

  afterAll(async () => {
    await runtime?.close();
    scratch.remove();
  });

  it('launches a job whose worker died after claiming it and before starting to spawn it', async () => {
    const finished = scratch.testStarted();
    const spec = job();
    leftBehind(spec, { logsOpened: false });
    await runtime.launch(spec, undefined);
    expect(await finalObservation(spec.name)).toMatchObject({ kind: 'succeeded' });
    expect(countRuns(runsFile).get(spec.name)).toBe(1);
    finished();
  });

  it('does not launch again a job whose worker died while spawning it: it may have run', async () => {
    const finished = scratch.testStarted();
    const spec = job();
    leftBehind(spec, { logsOpened: true });
    await runtime.launch(spec, undefined);
    expect(await finalObservation(spec.name)).toEqual({ job: spec.name, kind: 'failed', message: ORPHAN_MESSAGE });
    expect(countRuns(runsFile).get(spec.name)).toBeUndefined();
    finished();
  });
});

import { randomUUID } from 'node:crypto';
import {
  type BackoffPolicy,
  type Clock,
  generationOf,
  type JobRuntime,
  type Observation,
  type ObservationSink,
  PermanentLaunchError,
  type ResolvedJob,
  rfc3339,
  RuntimeUnavailableError,
  systemClock,
} from '@rjs/core';
import { commandLine, jobEnvironment } from './job-environment';
import { ensureWorkDir, isSafeJobName, JobDirectory, type LaunchMarker } from './job-directory';
import { LaunchSlots } from './launch-slots';
import { LocalJob } from './local-job';
import { ObservationOutbox } from './observation-outbox';
import { identify, isAlive, type ProcessIdentity, signalGroup } from './process-identity';
import { type LocalRuntimeLogger, silentLogger } from './runtime-logger';

export interface LocalRuntimeOptions {
  /** Each job gets a private directory here (payload, logs, launch marker). */
  workDir: string;
  /** Jobs running at once; the others wait, in launch order. */
  maxRunning: number;
  /** Between SIGTERM and SIGKILL when a job is stopped. */
  stopGraceSeconds: number;
  /** Working directory of job processes (default: the scheduler's). */
  cwd?: string;
  /** Where the inherited minimum (PATH, HOME, LANG...) comes from (default: process.env). */
  inheritedEnv?: NodeJS.ProcessEnv;
  /** Wait before a failed attempt is retried (default 1 s doubling to 60 s). */
  retryBackoff?: BackoffPolicy;
  /** Wait before a failed report to the sink is retried (default 200 ms doubling to 10 s). */
  sinkRetry?: BackoffPolicy;
  /** How often jobs left by a worker process that died are looked for (default 30 s). */
  orphanScanIntervalMs?: number;
  /** How long close() waits for the last observations to be recorded (default 5 s). */
  shutdownReportTimeoutMs?: number;
  logger?: LocalRuntimeLogger;
  clock?: Clock;
}

export const ORPHAN_MESSAGE = 'the scheduler stopped while the job ran: the worker process that ran it exited, so the job was ended';

/** Runtime instances open in this process; a marker naming this PID is live only if its instance is. */
const openInstances = new Set<string>();

type PendingEnd = 'stop' | 'remove' | 'close';

interface PendingLaunch {
  generation: number;
  controller: AbortController;
  launched: Promise<void>;
}

/**
 * Runs jobs as child processes on this machine. Any number of instances (in this or other worker
 * processes) may share a workDir: the launch marker in each job's directory makes launch happen
 * once, and lets any of them answer has(), stop or remove a job, and end the jobs of a worker that
 * died. Each instance reports the jobs it runs itself.
 */
export class LocalJobRuntime implements JobRuntime {
  readonly kind = 'local' as const;
  private readonly owner: LaunchMarker['owner'];
  private readonly slots: LaunchSlots;
  private readonly outbox: ObservationOutbox;
  private readonly logger: LocalRuntimeLogger;
  private readonly clock: Clock;
  private readonly running = new Map<string, LocalJob>();
  /** Launches on their way: ending an earlier run, waiting for a free slot, or spawning. */
  private readonly pending = new Map<string, PendingLaunch>();
  private scanTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: LocalRuntimeOptions) {
    const instance = randomUUID();
    this.owner = { ...identify(process.pid), instance };
    openInstances.add(instance);
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.slots = new LaunchSlots(options.maxRunning);
    this.outbox = new ObservationOutbox(options.sinkRetry ?? { initialMs: 200, maxMs: 10_000 }, this.logger, (jobName, observation) => {
      if (isFinalObservation(observation)) new JobDirectory(options.workDir, jobName).markRecorded(generationOf(observation));
    });
  }

  /** Reports what earlier worker processes left: results not yet recorded, and jobs whose worker died. */
  async start(sink: ObservationSink): Promise<void> {
    this.assertOpen();
    ensureWorkDir(this.options.workDir);
    this.outbox.setSink(sink);
    await this.reconcile();
    this.scanTimer = setInterval(() => {
      this.reconcile().catch((error) => this.logger.warn({ err: error }, 'looking for jobs left by a dead worker failed'));
    }, this.options.orphanScanIntervalMs ?? 30_000);
    this.scanTimer.unref();
  }

  /**
   * Waits, in turn with the launches already waiting, until a job could start now. The slot of an
   * earlier run of `jobName` running here counts as free: a restart's launch ends that run first.
   */
  whenSlotFree(signal?: AbortSignal, jobName?: string): Promise<void> {
    if (jobName !== undefined && this.running.has(jobName)) return Promise.resolve();
    return this.slots.whenFree(signal);
  }

  /** The job's private directory (payload, attempt-<n>.stdout.log / .stderr.log, launch marker). */
  directoryOf(jobName: string): string {
    return new JobDirectory(this.options.workDir, jobName).path;
  }

  async launch(job: ResolvedJob, payload: string | undefined): Promise<void> {
    this.assertOpen();
    if (!isSafeJobName(job.name)) throw new PermanentLaunchError(`"${job.name}" is not a valid job name`);
    const argv = commandLine(job);
    const generation = generationOf(job);
    // This run (or a later one: this launch is stale) runs or is being launched here already.
    if ((this.running.get(job.name)?.generation ?? -1) >= generation) return;
    const earlier = this.pending.get(job.name);
    if (earlier && earlier.generation >= generation) return earlier.launched;
    // Registered before the first await, so that a stop or remove right after launch() finds it.
    const controller = new AbortController();
    const entry: PendingLaunch = { generation, controller, launched: Promise.resolve() };
    entry.launched = this.launchWhenFree(job, payload, argv, controller, earlier).finally(() => {
      if (this.pending.get(job.name) === entry) this.pending.delete(job.name);
    });
    this.pending.set(job.name, entry);
    return entry.launched;
  }

  private async launchWhenFree(
    job: ResolvedJob,
    payload: string | undefined,
    argv: string[],
    controller: AbortController,
    earlier: PendingLaunch | undefined,
  ): Promise<void> {
    // A restart: the earlier run ends before the new one takes a slot (it may hold the last one).
    if (earlier) {
      earlier.controller.abort('stop' satisfies PendingEnd);
      await earlier.launched.catch(() => undefined);
    }
    const generation = generationOf(job);
    const running = this.running.get(job.name);
    if (running && running.generation < generation) await running.end('stop');
    const dir = new JobDirectory(this.options.workDir, job.name);
    if (await this.heldAlready(dir, generation)) return;
    let release: () => void;
    try {
      release = await this.slots.acquire(controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return this.cancelledLaunch(job, controller.signal.reason as PendingEnd);
      throw error;
    }
    try {
      if (controller.signal.aborted) return this.cancelledLaunch(job, controller.signal.reason as PendingEnd);
      await this.startJob(job, payload, argv, dir, release);
    } finally {
      // The slot stays taken only by a job that runs now; it is given back when that job ends.
      if (!this.running.has(job.name)) release();
    }
  }

  /** A launch ended before it spawned anything: a stop is reported, a removal is silent, a shutdown is retried elsewhere. */
  private cancelledLaunch(job: ResolvedJob, reason: PendingEnd): void {
    if (reason === 'close') throw new RuntimeUnavailableError('the local runtime is shutting down');
    if (reason === 'stop') this.outbox.post(job.name, { kind: 'stopped', at: this.now(), generation: generationOf(job) });
  }

  async stop(jobName: string): Promise<void> {
    const pending = this.pending.get(jobName);
    if (pending) {
      pending.controller.abort('stop' satisfies PendingEnd);
      // A launch past its slot wait is spawning: stop what it started.
      await pending.launched.catch(() => undefined);
    }
    const own = this.running.get(jobName);
    if (own) return own.end('stop');
    if (!isSafeJobName(jobName)) return;
    const dir = new JobDirectory(this.options.workDir, jobName);
    const marker = dir.readMarker();
    if (!marker || this.hasFinished(dir)) return;
    await this.endRunElsewhere(dir, marker);
  }

  /**
   * Ends a run that no runtime instance of this process supervises. A dead worker's run is ended
   * and reported here; for a live worker's, its current process is ended, and that worker finds
   * the stop request and reports `stopped`. An attempt started meanwhile shows in the marker.
   */
  private async endRunElsewhere(dir: JobDirectory, marker: LaunchMarker): Promise<void> {
    dir.requestStop();
    if (!this.ownerAlive(marker.owner)) {
      if (marker.process) await this.endOrphan(dir, marker);
      return;
    }
    let ended: ProcessIdentity | undefined;
    for (let current = marker.process; current && current.pid !== ended?.pid; current = dir.readMarker()?.process) {
      await this.endProcessGroup(current);
      ended = current;
    }
  }

  /**
   * A restart found the earlier run's files: that run is ended (if it still runs), its supervisor
   * reports how it ended (of its own generation: the records ignore it), and its files are
   * discarded so that the new run can claim the job. The attempt logs stay.
   */
  private async endEarlierRun(dir: JobDirectory, marker: LaunchMarker): Promise<void> {
    if (!this.hasFinished(dir)) {
      await this.endRunElsewhere(dir, marker);
      // Until its supervisor has written the end, the files are that worker's.
      const settled = await waitUntil(() => this.hasFinished(dir) || !this.ownerAlive(marker.owner), (this.options.stopGraceSeconds + 10) * 1000);
      if (!settled) throw new RuntimeUnavailableError(`the earlier run of job ${dir.jobName} has not ended yet`);
      if (!this.hasFinished(dir)) await this.endOrphan(dir, marker);
    }
    dir.discardRun();
  }

  async remove(jobName: string): Promise<void> {
    const pending = this.pending.get(jobName);
    if (pending) {
      pending.controller.abort('remove' satisfies PendingEnd);
      await pending.launched.catch(() => undefined);
    }
    if (!isSafeJobName(jobName)) return;
    await this.stop(jobName);
    this.outbox.drop(jobName);
    new JobDirectory(this.options.workDir, jobName).remove();
  }

  async has(jobName: string): Promise<boolean> {
    if (this.running.has(jobName) || this.pending.has(jobName)) return true;
    if (!isSafeJobName(jobName)) return false;
    const dir = new JobDirectory(this.options.workDir, jobName);
    const marker = dir.readMarker();
    if (!marker) return false;
    // A job whose worker died before it ended is not held: nobody will report it.
    return this.ownerAlive(marker.owner) || this.hasFinished(dir);
  }

  /**
   * Ends the jobs this instance runs (they are recorded Failed, "the worker shut down while the job
   * ran") and waits a while for the last reports to be recorded.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.scanTimer);
    this.slots.close(new RuntimeUnavailableError('the local runtime is shutting down'));
    for (const { controller } of this.pending.values()) controller.abort('close' satisfies PendingEnd);
    await Promise.all([...this.running.values()].map((job) => job.end('shutdown')));
    const delivered = await this.outbox.flush(this.options.shutdownReportTimeoutMs ?? 5_000);
    if (!delivered) this.logger.warn({}, 'some job observations could not be recorded before shutdown; the next start reports them');
    this.outbox.close();
    openInstances.delete(this.owner.instance);
  }

  private async startJob(job: ResolvedJob, payload: string | undefined, argv: string[], dir: JobDirectory, release: () => void): Promise<void> {
    try {
      dir.create();
    } catch (error) {
      throw new RuntimeUnavailableError(`cannot create the job directory ${dir.path}: ${(error as Error).message}`);
    }
    const marker: LaunchMarker = { job: job.name, launchedAt: this.now(), owner: this.owner, generation: generationOf(job), firstAttempt: dir.nextAttemptNumber() };
    if (!dir.claim(marker)) {
      // Another process claimed it since we looked; it runs the job (or ran it: never twice).
      if (await this.heldAlready(dir, generationOf(job))) return;
      if (!dir.claim(marker)) throw new RuntimeUnavailableError(`job ${job.name} is being launched by another worker process`);
    }
    const cwd = this.options.cwd ?? process.cwd();
    try {
      let payloadFile: string | undefined;
      if (payload !== undefined) {
        dir.writePayload(payload);
        payloadFile = dir.payloadPath;
      }
      const localJob = new LocalJob(
        {
          job,
          dir,
          marker,
          argv,
          env: jobEnvironment(job, payloadFile, this.options.inheritedEnv ?? process.env),
          cwd,
          stopGraceMs: this.options.stopGraceSeconds * 1000,
          retryBackoff: this.options.retryBackoff ?? { initialMs: 1000, maxMs: 60_000 },
          now: () => this.clock.now(),
          report: (observation) => this.outbox.post(job.name, observation),
          logger: this.logger,
        },
        () => {
          this.running.delete(job.name);
          release();
        },
      );
      this.running.set(job.name, localJob);
      await localJob.start();
    } catch (error) {
      this.running.delete(job.name);
      dir.remove();
      throw launchError(error, argv[0], cwd);
    }
  }

  /**
   * True when run `generation` of the job was launched already by this or another worker process (a
   * launch is never repeated), or a later run was (this launch is stale); a finished run's result
   * is reported again in case it was not recorded. An earlier run is ended and set aside: false.
   */
  private async heldAlready(dir: JobDirectory, generation: number): Promise<boolean> {
    const marker = dir.readMarker();
    if (!marker) return false;
    const markerGeneration = generationOf(marker);
    if (markerGeneration > generation) return true;
    if (markerGeneration < generation) {
      await this.endEarlierRun(dir, marker);
      return false;
    }
    if (this.ownerAlive(marker.owner)) return true;
    const status = dir.readStatus();
    if (status && isFinalObservation(status)) {
      if (!dir.isRecorded()) this.outbox.post(dir.jobName, status);
      return true;
    }
    if (!marker.process && !dir.spawnMayHaveStarted(marker)) {
      // Its worker died before spawning anything: nothing ran, so it may be launched now.
      dir.discardMarker();
      return false;
    }
    // Its worker died running the job, or while spawning it (no process recorded yet: it may have
    // run, so it is not launched again).
    await this.endOrphan(dir, marker);
    return true;
  }

  /** Jobs of workers that died: their results not yet recorded are reported, their running jobs ended. */
  private async reconcile(): Promise<void> {
    for (const name of JobDirectory.list(this.options.workDir)) {
      if (this.running.has(name) || this.pending.has(name)) continue;
      const dir = new JobDirectory(this.options.workDir, name);
      const marker = dir.readMarker();
      if (!marker || this.ownerAlive(marker.owner)) continue;
      const status = dir.readStatus();
      if (status && isFinalObservation(status)) {
        if (!dir.isRecorded()) this.outbox.post(name, status);
      } else if (marker.process) {
        await this.endOrphan(dir, marker);
      }
    }
  }

  /** A job whose worker died: its process (if still running) is ended and the job reported failed (or stopped, if asked). */
  private async endOrphan(dir: JobDirectory, marker: LaunchMarker): Promise<void> {
    if (marker.process) await this.endProcessGroup(marker.process);
    const at = this.now();
    const stopped = dir.stopRequested();
    const podStatuses = (dir.readStatus()?.podStatuses ?? []).map((pod) =>
      pod.replicaStatus.status === 'Running' || pod.replicaStatus.status === 'Pending'
        ? { ...pod, endTime: at, replicaStatus: { status: stopped ? ('Stopped' as const) : ('Failed' as const) }, reason: stopped ? 'Stopped' : 'SchedulerStopped' }
        : pod,
    );
    const generation = generationOf(marker);
    const observation: Observation = stopped
      ? { kind: 'stopped', at, generation, podStatuses }
      : { kind: 'failed', at, generation, reason: 'SchedulerStopped', message: ORPHAN_MESSAGE, podStatuses };
    this.logger.warn({ job: dir.jobName, pid: marker.process?.pid }, 'ended a job whose worker process died');
    if (dir.writeStatus(observation)) this.outbox.post(dir.jobName, observation);
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves once the group is gone. */
  private async endProcessGroup(leader: ProcessIdentity): Promise<void> {
    // Only the recorded process, or what is left of its group: never a later process with its PID.
    if (!isAlive(leader) && pidInUse(leader.pid)) return;
    const gone = () => !isAlive(leader) && !signalGroup(leader.pid, 0);
    signalGroup(leader.pid, 'SIGTERM');
    if (await waitUntil(gone, this.options.stopGraceSeconds * 1000)) return;
    signalGroup(leader.pid, 'SIGKILL');
    if (!(await waitUntil(gone, 10_000))) this.logger.warn({ pid: leader.pid }, 'a job process group did not exit after SIGKILL');
  }

  private ownerAlive(owner: LaunchMarker['owner']): boolean {
    if (owner.pid === process.pid && owner.startTicks === this.owner.startTicks) return openInstances.has(owner.instance);
    return isAlive(owner);
  }

  private hasFinished(dir: JobDirectory): boolean {
    const status = dir.readStatus();
    return !!status && isFinalObservation(status);
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeUnavailableError('the local runtime is shutting down');
  }

  private now(): string {
    return rfc3339(this.clock.now());
  }
}

function isFinalObservation(observation: Observation): boolean {
  return observation.kind === 'succeeded' || observation.kind === 'failed' || observation.kind === 'stopped';
}

function pidInUse(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Why the first attempt could not start: a missing or unusable program is permanent, anything else may pass. */
function launchError(error: unknown, program: string, cwd: string): Error {
  if (error instanceof PermanentLaunchError || error instanceof RuntimeUnavailableError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && ['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'ENOEXEC', 'EPERM'].includes(code)) {
    return new PermanentLaunchError(`cannot run "${program}" in ${cwd}: ${code} (is it installed, on PATH and executable?)`);
  }
  if (error instanceof TypeError) return new PermanentLaunchError(`cannot run "${program}": ${error.message}`);
  return new RuntimeUnavailableError(`cannot start the job's process: ${(error as Error).message}`);
}

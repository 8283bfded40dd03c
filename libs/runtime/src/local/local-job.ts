import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { type BackoffPolicy, backoffDelay, generationOf, judgeFailedAttempt, type Observation, type PodStatus, type ResolvedJob, rfc3339 } from '@rjs/core';
import type { JobDirectory, LaunchMarker } from './job-directory';
import { exitCodeOf, identify, signalGroup } from './process-identity';
import type { LocalRuntimeLogger } from './runtime-logger';

export interface LocalJobContext {
  job: ResolvedJob;
  dir: JobDirectory;
  marker: LaunchMarker;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stopGraceMs: number;
  /** Wait before the next attempt: initialMs, doubling per attempt, capped at maxMs (Kubernetes waits 10 s doubling to 6 min). */
  retryBackoff: BackoffPolicy;
  now: () => Date;
  /** Called with every observation (of the run, job.generation) after it is saved in status.json. */
  report: (observation: Observation) => void;
  logger: LocalRuntimeLogger;
}

/** Why the scheduler ends a job that has not ended by itself. */
export type Ending = 'stop' | 'deadline' | 'shutdown';

export const SHUTDOWN_MESSAGE = 'the worker shut down while the job ran, so the local runtime ended it';

/** Exit code reported for an attempt whose process could not be started (as a container runtime reports StartError). */
const START_ERROR_EXIT_CODE = 128;

/** How often a waiting retry looks for a stop requested by another process. */
const STOP_POLL_MS = 250;

/**
 * Supervises one job on this machine: runs its attempts one after the other as process-group
 * leaders, applies backoffLimit and the failure policy, enforces timeLimitSeconds over all attempts
 * together (like activeDeadlineSeconds), and ends it on request. Every change is reported with all
 * attempts as pod statuses.
 */
export class LocalJob {
  private readonly attempts: PodStatus[] = [];
  private countedFailures = 0;
  private child?: ChildProcess;
  private ending?: Ending;
  private finished = false;
  private retryTimer?: NodeJS.Timeout;
  private killTimer?: NodeJS.Timeout;
  private cancelDeadline?: () => void;
  private resolveDone!: () => void;
  /** Resolves once the job has ended and its process has exited. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly ctx: LocalJobContext,
    private readonly onFinished: () => void,
  ) {}

  /** Starts the first attempt; rejects, leaving nothing running, when its process cannot be started at all. */
  async start(): Promise<void> {
    this.cancelDeadline = longTimeout(this.ctx.job.timeLimitSeconds * 1000, () => void this.end('deadline'));
    try {
      await this.spawnAttempt();
    } catch (error) {
      this.finished = true;
      this.clearTimers();
      this.resolveDone();
      throw error;
    }
  }

  /** Ends the job for a stop request, its time limit or a shutdown; resolves when its process has exited. */
  end(ending: Ending): Promise<void> {
    if (this.finished) return this.done;
    // The first reason wins: a job killed for its deadline stays failed even if a stop follows.
    this.ending ??= ending;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.finishEnded(this.timestamp());
    } else if (this.child) {
      this.terminate();
    }
    // Otherwise an attempt is being spawned: the spawn handler sees `ending`.
    return this.done;
  }

  /** The run this supervises (a restart starts a new one). */
  get generation(): number {
    return generationOf(this.ctx.job);
  }

  /** Attempts are numbered across the job's runs: this run's first follows the earlier runs' last. */
  private nextAttemptNumber(): number {
    return (this.ctx.marker.firstAttempt ?? 1) + this.attempts.length;
  }

  private spawnAttempt(): Promise<void> {
    const number = this.nextAttemptNumber();
    const attempt: PodStatus = { name: `${this.ctx.job.name}-${number}`, created: this.timestamp(), replicaStatus: { status: 'Pending' }, restartCount: 0 };
    const [command, ...args] = this.ctx.argv;
    const stdout = openSync(this.ctx.dir.stdoutPath(number), 'a', 0o600);
    const stderr = openSync(this.ctx.dir.stderrPath(number), 'a', 0o600);
    let child: ChildProcess;
    try {
      // detached: the attempt leads its own process group, so a stop reaches its children too.
      child = spawn(command, args, { cwd: this.ctx.cwd, env: this.ctx.env, detached: true, stdio: ['ignore', stdout, stderr] });
    } finally {
      // The child holds its own copies of the descriptors once spawn() returns.
      closeSync(stdout);
      closeSync(stderr);
    }
    // At once, not on 'spawn' (a later turn of the event loop): a worker killed in between would
    // leave a running job that no marker names, and another worker would launch it again.
    if (child.pid !== undefined) this.recordProcess(number, child.pid);
    return new Promise<void>((resolve, reject) => {
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        this.child = child;
        const started = this.timestamp();
        Object.assign(attempt, { startTime: started, containerStarted: started, replicaStatus: { status: 'Running' } });
        this.attempts.push(attempt);
        // A stop (or removal) from another process may have come while this attempt was starting.
        if (!this.ending && (!this.ctx.dir.exists() || this.ctx.dir.stopRequested())) this.ending = 'stop';
        this.ctx.logger.info({ job: this.ctx.job.name, attempt: number, pid: child.pid, logs: this.ctx.dir.path }, 'job attempt started');
        this.emit({ kind: 'running', at: started });
        if (this.ending) this.terminate();
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (spawned) this.onExit(child.pid!, attempt, exitCodeOf(code, signal));
      });
      child.once('error', (error) => {
        if (!spawned) reject(error);
        else this.ctx.logger.warn({ err: error, job: this.ctx.job.name }, 'a job process reported an error');
      });
    });
  }

  private recordProcess(attempt: number, pid: number): void {
    try {
      this.ctx.dir.updateMarker({ ...this.ctx.marker, attempt, process: identify(pid) });
    } catch {
      // The directory was removed meanwhile: the job is being deleted.
    }
  }

  private onExit(pid: number, attempt: PodStatus, exitCode: number): void {
    this.child = undefined;
    clearTimeout(this.killTimer);
    this.killTimer = undefined;
    // What the attempt left running in its group ends with it, as a container's processes do.
    signalGroup(pid, 'SIGKILL');
    const ended = this.timestamp();
    Object.assign(attempt, { endTime: ended, exitCode });
    if (!this.ctx.dir.exists()) return this.finishSilently();
    // A stop may come from another worker process on this machine: it leaves a file.
    if (!this.ending && this.ctx.dir.stopRequested()) this.ending = 'stop';
    if (this.ending) return this.finishEnded(ended);
    if (exitCode === 0) {
      Object.assign(attempt, { replicaStatus: { status: 'Succeeded' }, reason: 'Completed' });
      return this.finish({ kind: 'succeeded', at: ended });
    }
    Object.assign(attempt, { replicaStatus: { status: 'Failed' }, reason: 'Error' });
    this.afterFailedAttempt(attempt, ended);
  }

  private afterFailedAttempt(attempt: PodStatus, ended: string): void {
    const verdict = judgeFailedAttempt({
      exitCode: attempt.exitCode!,
      attemptName: attempt.name,
      countedFailures: this.countedFailures,
      backoffLimit: this.ctx.job.backoffLimit,
      failurePolicy: this.ctx.job.failurePolicy,
    });
    if (verdict.counted) this.countedFailures++;
    if (verdict.kind === 'fail') return this.finish({ kind: 'failed', at: ended, reason: verdict.reason, message: verdict.message });
    this.emit({ kind: 'active', at: ended });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const due = Date.now() + backoffDelay(this.attempts.length, this.ctx.retryBackoff);
    const tick = () => {
      this.retryTimer = undefined;
      if (this.finished) return;
      if (!this.ctx.dir.exists()) return this.finishSilently();
      if (this.ctx.dir.stopRequested()) {
        this.ending ??= 'stop';
        return this.finishEnded(this.timestamp());
      }
      const left = due - Date.now();
      if (left > 0) {
        this.retryTimer = setTimeout(tick, Math.min(left, STOP_POLL_MS));
        return;
      }
      Promise.resolve()
        .then(() => this.spawnAttempt())
        .catch((error: NodeJS.ErrnoException) => this.onRetryNotStarted(error));
    };
    this.retryTimer = setTimeout(tick, 0);
  }

  /** A later attempt that cannot start (its program was removed meanwhile) is a failed attempt. */
  private onRetryNotStarted(error: NodeJS.ErrnoException): void {
    const ended = this.timestamp();
    const attempt: PodStatus = {
      name: `${this.ctx.job.name}-${this.nextAttemptNumber()}`,
      created: ended,
      endTime: ended,
      replicaStatus: { status: 'Failed' },
      exitCode: START_ERROR_EXIT_CODE,
      reason: 'StartError',
      statusMessage: `cannot run ${this.ctx.argv[0]}: ${error.code ?? error.message}`,
      restartCount: 0,
    };
    this.attempts.push(attempt);
    if (this.ending) return this.finishEnded(ended);
    this.afterFailedAttempt(attempt, ended);
  }

  private terminate(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.killTimer) return;
    if (this.ctx.stopGraceMs <= 0) {
      signalGroup(pid, 'SIGKILL');
      return;
    }
    signalGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.ctx.stopGraceMs);
  }

  /** The job ended for `this.ending`; the last attempt, if it ran, says how. */
  private finishEnded(at: string): void {
    const last = this.attempts[this.attempts.length - 1];
    // Only an attempt that was running when the job ended takes the ending's reason.
    const lastEndedNow = last?.replicaStatus.status === 'Running';
    switch (this.ending) {
      case 'stop':
        if (lastEndedNow) Object.assign(last, { replicaStatus: { status: 'Stopped' }, reason: 'Stopped' });
        return this.finish({ kind: 'stopped', at });
      case 'deadline':
        if (lastEndedNow) Object.assign(last, { replicaStatus: { status: 'Failed' }, reason: 'DeadlineExceeded' });
        return this.finish({
          kind: 'failed',
          at,
          reason: 'DeadlineExceeded',
          message: `Job was active longer than specified deadline: its time limit is ${this.ctx.job.timeLimitSeconds} seconds (timeLimitSeconds)`,
        });
      default:
        if (lastEndedNow) Object.assign(last, { replicaStatus: { status: 'Failed' }, reason: 'WorkerShutdown' });
        return this.finish({ kind: 'failed', at, reason: 'WorkerShutdown', message: SHUTDOWN_MESSAGE });
    }
  }

  private finish(observation: Observation): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    const message = observation.kind === 'failed' ? observation.message : undefined;
    this.ctx.logger.info({ job: this.ctx.job.name, result: observation.kind, message, attempts: this.attempts.length }, 'job ended');
    this.emit(observation);
    this.onFinished();
    this.resolveDone();
  }

  /** The job's directory is gone (the job was removed): nothing to report. */
  private finishSilently(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    this.onFinished();
    this.resolveDone();
  }

  private emit(observation: Observation): void {
    const withPods = { ...observation, generation: this.generation, podStatuses: this.attempts.map((p) => ({ ...p, replicaStatus: { ...p.replicaStatus } })) };
    if (this.ctx.dir.writeStatus(withPods)) this.ctx.report(withPods);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.cancelDeadline?.();
  }

  private timestamp(): string {
    return rfc3339(this.ctx.now());
  }
}

/** setTimeout for delays beyond its 24.8-day limit (timeLimitSeconds has no upper bound). */
function longTimeout(ms: number, callback: () => void): () => void {
  const MAX = 2 ** 31 - 1;
  let timer: NodeJS.Timeout;
  const arm = (left: number) => {
    timer = setTimeout(() => (left > MAX ? arm(left - MAX) : callback()), Math.min(left, MAX));
  };
  arm(ms);
  return () => clearTimeout(timer);
}

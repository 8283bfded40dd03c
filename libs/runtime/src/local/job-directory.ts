import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generationOf, type Observation } from '@rjs/core';
import type { ProcessIdentity } from './process-identity';

/**
 * The files the local runtime keeps for one job, in `<workDir>/<jobName>/` (mode 0700). This layout
 * is read by every worker process on the machine and by later versions: changing it needs care.
 *
 *   payload                  the request's payload, exact bytes (JOB_PAYLOAD_FILE points here)
 *   launched.json            who launched the job's current run (generation) and which process runs its
 *                            current attempt; created exclusively before the first spawn, so a run launches once
 *   status.json              the latest observation of the run, written before it is reported (replayed after a crash)
 *   recorded                 present once the final observation in status.json reached the status records;
 *                            holds the generation of that observation
 *   stop-requested           present once a stop was asked for, by whichever process asked
 *   attempt-<n>.stdout.log   what attempt n wrote to stdout (likewise .stderr.log); kept until remove().
 *                            A restart's run numbers its attempts after those of the earlier runs.
 *
 * A restart ends the earlier run and discards its run files (marker, status, recorded, stop request,
 * payload) before the new run claims the job; the attempt logs stay.
 */
export interface LaunchMarker {
  job: string;
  launchedAt: string;
  /** The worker process and runtime instance that supervises the job. */
  owner: ProcessIdentity & { instance: string };
  /** The run launched (absent: the first, 0). */
  generation?: number;
  /** The number of this run's first attempt (absent: 1). */
  firstAttempt?: number;
  attempt?: number;
  /** The current attempt's process (leader of its own process group); absent until the first spawn. */
  process?: ProcessIdentity;
}

const MARKER = 'launched.json';
const STATUS = 'status.json';
const STOP_REQUESTED = 'stop-requested';
const RECORDED = 'recorded';
export const PAYLOAD_FILE = 'payload';
const ATTEMPT_LOG = /^attempt-(\d+)\.stdout\.log$/;

/** Kubernetes names only: a job name never reaches outside the work directory. */
const SAFE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function isSafeJobName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}

/** Creates the work directory (private when created here); an existing one is left as it is (it may be /tmp). */
export function ensureWorkDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

export class JobDirectory {
  readonly path: string;

  constructor(
    readonly workDir: string,
    readonly jobName: string,
  ) {
    this.path = join(workDir, jobName);
  }

  /** Names of the jobs that have a directory under workDir. */
  static list(workDir: string): string[] {
    try {
      return readdirSync(workDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && isSafeJobName(entry.name))
        .map((entry) => entry.name);
    } catch {
      return [];
    }
  }

  get payloadPath(): string {
    return join(this.path, PAYLOAD_FILE);
  }

  stdoutPath(attempt: number): string {
    return join(this.path, `attempt-${attempt}.stdout.log`);
  }

  stderrPath(attempt: number): string {
    return join(this.path, `attempt-${attempt}.stderr.log`);
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** Creates the job's directory, readable by the scheduler's user only (it holds the payload). */
  create(): void {
    ensureWorkDir(this.workDir);
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    // mkdir's mode passes through the umask and does not apply to a directory that exists.
    chmodSync(this.path, 0o700);
  }

  /**
   * Claims the job for this launch; false when a marker exists already (launched, or being launched,
   * elsewhere). The marker is written whole to a temporary file and then linked into place: a link
   * is created exclusively and at once, so a process killed meanwhile never leaves an empty marker
   * (which would read as no marker, yet block every later claim).
   */
  claim(marker: LaunchMarker): boolean {
    const temporary = join(this.path, `.${MARKER}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(temporary, JSON.stringify(marker), { mode: 0o600 });
    try {
      linkSync(temporary, join(this.path, MARKER));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  readMarker(): LaunchMarker | undefined {
    return this.readJson<LaunchMarker>(MARKER);
  }

  updateMarker(marker: LaunchMarker): void {
    this.writeJsonAtomically(MARKER, marker);
  }

  /**
   * True once a launch may have started a process: the run's first attempt's log files are opened
   * just before the spawn, and the marker names the process just after it.
   */
  spawnMayHaveStarted(marker: LaunchMarker): boolean {
    return existsSync(this.stdoutPath(marker.firstAttempt ?? 1));
  }

  /** The number the next run's first attempt takes: after every attempt that left a log. */
  nextAttemptNumber(): number {
    let last = 0;
    for (const file of this.files()) last = Math.max(last, Number(ATTEMPT_LOG.exec(file)?.[1] ?? 0));
    return last + 1;
  }

  /** Discards the files of an ended run (a restart), so that the next run can claim the job. The logs stay. */
  discardRun(): void {
    for (const file of [MARKER, STATUS, RECORDED, STOP_REQUESTED, PAYLOAD_FILE]) rmSync(join(this.path, file), { force: true });
  }

  /** Sets aside the marker of a launch that died before spawning anything, so that the job can be claimed again. */
  discardMarker(): void {
    try {
      renameSync(join(this.path, MARKER), join(this.path, `${MARKER}.discarded-${process.pid}-${Date.now()}`));
    } catch {
      // Another process discarded it first.
    }
  }

  writePayload(payload: string): void {
    writeFileSync(this.payloadPath, payload, { encoding: 'utf8', mode: 0o600 });
  }

  readStatus(): Observation | undefined {
    return this.readJson<Observation>(STATUS);
  }

  /** False when the directory is gone (the job was removed meanwhile). */
  writeStatus(observation: Observation): boolean {
    try {
      this.writeJsonAtomically(STATUS, observation);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * The final status of run `generation` reached the records: no need to report it again after a
   * worker restarts. A late mark of an earlier run does not count for a later one.
   */
  markRecorded(generation: number): void {
    try {
      writeFileSync(join(this.path, RECORDED), String(generation), { mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Whether the observation in status.json was recorded (a mark written before runs existed is empty: the first run). */
  isRecorded(): boolean {
    let recorded: string;
    try {
      recorded = readFileSync(join(this.path, RECORDED), 'utf8');
    } catch {
      return false;
    }
    return Number(recorded || 0) === generationOf(this.readStatus() ?? {});
  }

  requestStop(): void {
    try {
      writeFileSync(join(this.path, STOP_REQUESTED), new Date().toISOString(), { mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  stopRequested(): boolean {
    return existsSync(join(this.path, STOP_REQUESTED));
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }

  private files(): string[] {
    try {
      return readdirSync(this.path);
    } catch {
      return [];
    }
  }

  private readJson<T>(file: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.path, file), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Readers in other processes see the old or the new content, never half of it. */
  private writeJsonAtomically(file: string, value: unknown): void {
    const temporary = join(this.path, `.${file}.${process.pid}.tmp`);
    writeFileSync(temporary, JSON.stringify(value), { mode: 0o600 });
    renameSync(temporary, join(this.path, file));
  }
}

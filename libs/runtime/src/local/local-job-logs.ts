import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type AttemptRef, DomainError, ErrorCode, type JobLogs, type LogReadOptions } from '@rjs/core';
import { isSafeJobName, JobDirectory } from './job-directory';
import { abortableReadable, DirectoryChanges, LogFileReader, tailStart } from './log-file';
import { isAlive } from './process-identity';

export interface LocalJobLogsOptions {
  /** The local runtime's LOCAL_WORK_DIR, where each job's attempt-<n>.stdout.log / .stderr.log are. */
  workDir: string;
  /** How often a follower looks for new output and for the attempt's end when no change is reported. Default 1 s. */
  pollIntervalMs?: number;
}

interface OpenFile {
  reader: LogFileReader;
  size: number;
}

/**
 * The JobLogs port on this machine, from the files the local runtime keeps per attempt. It needs
 * only the work directory, so a process with the role api alone serves logs as well (on the
 * machine where the jobs run).
 *
 * stdout and stderr are kept in two files without timestamps, so their interleaving is known only
 * for what is written while a follower reads. The answer is line by line: what was written before
 * the request, stdout's lines then stderr's (and `tailLines` counts from the end of that); then,
 * with `follow`, each new line as it comes, from either stream. Every line ends with a newline.
 */
export class LocalJobLogs implements JobLogs {
  constructor(private readonly options: LocalJobLogsOptions) {}

  async open(ref: AttemptRef, { tailLines, follow }: LogReadOptions): Promise<Readable> {
    const { jobName, attempt: shown } = ref;
    const attempt = fileNumberOf(ref);
    const dir = new JobDirectory(this.options.workDir, jobName);
    const files = isSafeJobName(jobName) ? await openBoth(dir.stdoutPath(attempt), dir.stderrPath(attempt)) : undefined;
    if (!files) {
      throw new DomainError(
        ErrorCode.NotFound,
        `the logs of attempt ${shown} of job ${jobName} are not in LOCAL_WORK_DIR on this machine (${dir.path}): ` +
          'the job was removed meanwhile, or it ran on another machine',
      );
    }
    try {
      await startAtTail(files, tailLines);
    } catch (error) {
      await closeAll(files);
      throw error;
    }
    const [stdout, stderr] = files.map((f) => f.reader);
    return abortableReadable(
      (signal) => this.read(dir, attempt, stdout, stderr, follow ? signal : undefined, files),
      () => closeAll(files),
    );
  }

  /** What was written so far; with a signal (follow), then every new line until the attempt ends. */
  private async *read(
    dir: JobDirectory,
    attempt: number,
    stdout: LogFileReader,
    stderr: LogFileReader,
    followUntil: AbortSignal | undefined,
    files: OpenFile[],
  ): AsyncGenerator<Buffer> {
    let changes: DirectoryChanges | undefined;
    try {
      if (!followUntil) {
        // Up to the sizes at the request: the answer of a running attempt ends.
        yield* stdout.lines(files[0].size);
        yield* rest(stdout);
        yield* stderr.lines(files[1].size);
        yield* rest(stderr);
        return;
      }
      changes = new DirectoryChanges(dir.path, this.options.pollIntervalMs ?? 1000, followUntil);
      for (;;) {
        // Asked before reading: whatever the attempt wrote before it ended is then read below.
        const over = attemptOver(dir, attempt);
        yield* stdout.lines();
        yield* stderr.lines();
        if (over || followUntil.aborted) break;
        await changes.next();
        if (followUntil.aborted) return;
      }
      yield* rest(stdout);
      yield* rest(stderr);
    } finally {
      changes?.close();
      await closeAll(files);
    }
  }
}

/**
 * The number in the attempt's file names. Attempt n is named `<job>-<n>`, numbered on across a
 * restarted job's runs; an attempt of an earlier run that never reached the records leaves a gap
 * in `podStatuses`, so the name, not the position, says which files are the attempt's.
 */
function fileNumberOf({ jobName, attempt, podName }: AttemptRef): number {
  const number = podName.startsWith(`${jobName}-`) ? Number(podName.slice(jobName.length + 1)) : NaN;
  return Number.isSafeInteger(number) && number > 0 ? number : attempt;
}

function* rest(reader: LogFileReader): Generator<Buffer> {
  const line = reader.rest();
  if (line) yield line;
}

/**
 * True once attempt `attempt` can write no more: the supervising worker recorded its end, a later
 * attempt started, its process is gone, or the job's directory was removed. The process check
 * covers a worker that died and left the attempt running.
 */
function attemptOver(dir: JobDirectory, attempt: number): boolean {
  if (!dir.exists()) return true;
  // status.json holds the current run's attempts only (a restarted job's earlier runs are over).
  if (dir.readStatus()?.podStatuses?.find((pod) => pod.name === `${dir.jobName}-${attempt}`)?.endTime) return true;
  const marker = dir.readMarker();
  if (!marker?.process || (marker.attempt ?? 0) !== attempt) return true;
  return !isAlive(marker.process);
}

/** Both files of an attempt, with their sizes now; undefined when they are not there. */
async function openBoth(...paths: string[]): Promise<OpenFile[] | undefined> {
  const handles: FileHandle[] = [];
  try {
    for (const path of paths) handles.push(await open(path, 'r'));
    const sizes = await Promise.all(handles.map(async (h) => (await h.stat()).size));
    return handles.map((handle, i) => ({ reader: new LogFileReader(handle), size: sizes[i] }));
  } catch (error) {
    await Promise.all(handles.map((h) => h.close()));
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Moves both readers to where the last `tailLines` lines of stdout-then-stderr begin. */
async function startAtTail(files: OpenFile[], tailLines: number | undefined): Promise<void> {
  if (tailLines === undefined) return;
  const [stdout, stderr] = files;
  const fromStderr = await tailStart(stderr.reader.file, stderr.size, tailLines);
  const fromStdout = await tailStart(stdout.reader.file, stdout.size, tailLines - fromStderr.lines);
  stdout.reader.seek(fromStdout.offset);
  stderr.reader.seek(fromStderr.offset);
}

async function closeAll(files: OpenFile[]): Promise<void> {
  await Promise.all(files.map((f) => f.reader.close().catch(() => undefined)));
}

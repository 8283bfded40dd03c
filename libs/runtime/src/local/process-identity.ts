import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/**
 * A process as another process can recognise it later. A PID alone is reused by the system (a
 * restarted container's worker is PID 1 again); on Linux the start time from /proc tells a new
 * process from an old one with the same PID. Elsewhere the PID and its liveness are all we have.
 */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22), where /proc exists. */
  startTicks?: string;
}

interface ProcStat {
  state: string;
  startTicks: string;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTicks: fields[19] };
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity {
  const stat = readProcStat(pid);
  return stat ? { pid, startTicks: stat.startTicks } : { pid };
}

/** True while the process runs and is the one identified (not a zombie, not a later process with the same PID). */
export function isAlive(process_: ProcessIdentity): boolean {
  try {
    process.kill(process_.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(process_.pid);
  if (!stat) return true;
  if (stat.state === 'Z') return false;
  return process_.startTicks === undefined || stat.startTicks === process_.startTicks;
}

/**
 * Signals a whole process group (a job's attempt runs as the leader of its own group, so that its
 * children get the signal too). False when the group no longer exists.
 */
export function signalGroup(leaderPid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-leaderPid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The exit code a shell (and Kubernetes) reports for a process ended by a signal: 128 + its number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number ? 128 + number : 128;
}

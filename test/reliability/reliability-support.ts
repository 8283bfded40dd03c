import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import type Redis from 'ioredis';
import { isFinal, type JobRecord } from '@rjs/core';
import { RedisStatusStore, RedisKeys } from '@rjs/store';
import { writeRadixConfig } from '../support/radixconfig';

export const COMPONENT = 'compute';
/** Records each run of a job by appending its name to $RUNS_FILE (see the script's header). */
export const RECORD_RUN = join(__dirname, '..', 'support', 'record-run.sh');

/**
 * A radixconfig.yaml whose job component runs the run-recording program. RUNS_FILE is a component
 * variable, so requests need not carry it.
 */
export function writeRunRecordingConfig(dir: string, runsFile: string): string {
  return writeRadixConfig(dir, 'reliability', { command: ['sh', RECORD_RUN], timeLimitSeconds: 600, variables: { RUNS_FILE: runsFile } });
}

/** How many times each job ran, from the run-recording program's file. */
export function countRuns(runsFile: string): Map<string, number> {
  const runs = new Map<string, number>();
  if (!existsSync(runsFile)) return runs;
  for (const name of readFileSync(runsFile, 'utf8').split('\n').filter(Boolean)) runs.set(name, (runs.get(name) ?? 0) + 1);
  return runs;
}

export type Outcome = (
  | { kind: 'answered'; status: number; body: unknown }
  /** No answer within the client's timeout: the service hung. */
  | { kind: 'timeout' }
  /** The connection failed (refused, reset): the process is gone. */
  | { kind: 'network'; error: string }
) & { startedAt: number; endedAt: number };

export interface BurstOptions {
  url: string;
  /** Requests to send in all. */
  total: number;
  /** Clients sending at once, each one request after the other. */
  clients: number;
  /** A request with no answer after this long counts as a timeout. */
  timeoutMs: number;
  path?: string;
  body: (index: number) => unknown;
  /** Called after each answer with how many requests have ended; may be async (the client waits). */
  onProgress?: (ended: number) => void | Promise<void>;
  /** A client that got no 2xx waits this long before its next request, as a polite client does. */
  pauseAfterFailureMs?: number;
}

/** Sends `total` POST requests from `clients` concurrent clients; answers are in request order. */
export async function burst(options: BurstOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(options.total);
  let next = 0;
  let ended = 0;
  const client = async () => {
    for (let index = next++; index < options.total; index = next++) {
      const outcome = await post(options.url + (options.path ?? '/api/v1/jobs'), options.body(index), options.timeoutMs);
      outcomes[index] = outcome;
      ended++;
      await options.onProgress?.(ended);
      const ok = outcome.kind === 'answered' && outcome.status < 300;
      if (!ok && options.pauseAfterFailureMs) await new Promise((resolve) => setTimeout(resolve, options.pauseAfterFailureMs));
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  return outcomes;
}

export async function post(url: string, json: unknown, timeoutMs: number): Promise<Outcome> {
  const startedAt = Date.now();
  const outcome = await postOnce(url, json, timeoutMs);
  return { ...outcome, startedAt, endedAt: Date.now() } as Outcome;
}

async function postOnce(url: string, json: unknown, timeoutMs: number) {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { kind: 'answered' as const, status: response.status, body };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' as const };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'network' as const, error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

export interface Tally {
  sent: number;
  accepted: number;
  unavailable: number;
  timedOut: number;
  network: number;
  other: number;
  /** Job names from the 2xx answers (a batch answer gives all of its jobs). */
  acceptedJobs: string[];
  otherAnswers: { status: number; body: unknown }[];
}

export function tally(outcomes: Outcome[]): Tally {
  const result: Tally = { sent: outcomes.length, accepted: 0, unavailable: 0, timedOut: 0, network: 0, other: 0, acceptedJobs: [], otherAnswers: [] };
  for (const outcome of outcomes) {
    if (outcome.kind === 'timeout') result.timedOut++;
    else if (outcome.kind === 'network') result.network++;
    else if (outcome.status >= 200 && outcome.status < 300) {
      result.accepted++;
      result.acceptedJobs.push(...jobNamesOf(outcome.body));
    } else if (outcome.status === 503) result.unavailable++;
    else {
      result.other++;
      result.otherAnswers.push({ status: outcome.status, body: outcome.body });
    }
  }
  return result;
}

function jobNamesOf(body: unknown): string[] {
  const view = body as { name?: string; jobStatuses?: { name: string }[] };
  if (view.jobStatuses) return view.jobStatuses.map((j) => j.name);
  return view.name ? [view.name] : [];
}

/**
 * Records read per call while polling. A reply larger than redis-parser's 32 KB buffer pool that
 * arrives in pieces makes it grow the pool and start a 50 ms interval (not unref'd) that shrinks it
 * again over a few seconds: after the last poll of a test that held jest open past its end
 * ("Jest did not exit one second after the test run has completed"). 50 records stay well below.
 */
const RECORDS_PER_READ = 50;

/** Polls the status records until every named job has a final status; returns them. */
export async function waitUntilFinal(redis: Redis, names: string[], timeoutMs: number, alive: () => boolean = () => true): Promise<JobRecord[]> {
  const store = new RedisStatusStore(redis, COMPONENT);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error('a service process that should run the jobs has exited');
    const records: (JobRecord | undefined)[] = [];
    for (let i = 0; i < names.length; i += RECORDS_PER_READ) records.push(...(await store.getJobs(names.slice(i, i + RECORDS_PER_READ))));
    const pending = records.filter((r, i) => !r || !isFinal(r.status) || r.name !== names[i]);
    if (pending.length === 0) return records as JobRecord[];
    if (Date.now() > deadline) {
      const missing = records.filter((r) => !r).length;
      const sample = records.filter((r) => r && !isFinal(r.status)).slice(0, 5).map((r) => `${r!.name}: ${r!.status}`);
      throw new Error(`${pending.length} of ${names.length} jobs not final after ${timeoutMs} ms (${missing} without a record); e.g. ${sample.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Payload keys whose job record is gone. A payload stays in Redis with its record (restart and copy
 * need it) and must go with it: whatever a crash interrupted, none may be left behind.
 */
export async function orphanPayloads(redis: Redis): Promise<string[]> {
  const payloadKeys = await redis.keys(new RedisKeys(COMPONENT).payload('*'));
  const orphans: string[] = [];
  for (const key of payloadKeys) {
    if (!(await redis.exists(key.replace(':payload:', ':job:')))) orphans.push(key);
  }
  return orphans;
}

export interface RunFigures {
  lost: string[];
  duplicated: string[];
  /** Runs of jobs that no 2xx answer named. */
  unacknowledged: string[];
}

/** Compares who was promised a run (2xx) with who ran, from the runs file. */
export function compareRuns(accepted: string[], runs: Map<string, number>): RunFigures {
  const promised = new Set(accepted);
  return {
    lost: accepted.filter((name) => !runs.get(name)),
    duplicated: [...runs].filter(([, count]) => count > 1).map(([name]) => name),
    unacknowledged: [...runs.keys()].filter((name) => !promised.has(name)),
  };
}

/** One line of figures, printed so that they show in the jest run. */
export function printFigures(scenario: string, figures: Record<string, number | string>): void {
  const text = Object.entries(figures).map(([key, value]) => `${key}=${value}`).join(' ');
  process.stdout.write(`[reliability] ${scenario}: ${text}\n`);
}

/** Every occurrence of the secrets in a log text, for the no-secrets-in-logs checks. */
export function leakedSecrets(log: string, secrets: string[]): string[] {
  return secrets.filter((secret) => log.includes(secret));
}

/**
 * A temporary directory for one test file (service logs, job directories, run files), removed at
 * the end unless a test failed: then it is kept, and named, because its logs explain the failure.
 */
export class ScratchDir {
  readonly path: string;
  private unfinished = 0;

  constructor(prefix: string) {
    this.path = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Call at the start of a test; call the returned function as its last statement. */
  testStarted(): () => void {
    this.unfinished++;
    return () => this.unfinished--;
  }

  remove(): void {
    if (this.unfinished === 0) rmSync(this.path, { recursive: true, force: true });
    else process.stderr.write(`[reliability] kept ${this.path} for inspection\n`);
  }
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One request with node:http, sent exactly as given: unlike fetch, the path is not normalised
 * (`..`, `%2F` and invalid escapes reach the server as they are).
 */
export function rawRequest(base: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
        response.on('error', reject);
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer to ${method} ${path.slice(0, 80)} within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

import autocannon from 'autocannon';
import { processCpuMs } from './cpu';
import { percentile } from './stats';

export interface Target {
  label: string;
  /** Base URL of the service. */
  url: string;
  path: string;
  method?: string;
  body?: string | Buffer;
  /** The server's process, to count the CPU time it spends per request. */
  pid?: number;
  /** Other processes whose CPU time a request costs (a worker doing its part), counted with the server's. */
  otherPids?: number[];
  /** Its redis-server's process: the Redis side of a request costs CPU on the same cores. */
  redisPid?: number;
  /** Headers made afresh for every request (e.g. a new Idempotency-Key each time). */
  headersPerRequest?: () => Record<string, string>;
}

export interface LoadSummary {
  label: string;
  /** 2xx answers. */
  ok: number;
  /** Other answers, connection errors and timeouts. */
  failed: number;
  seconds: number;
  /** 2xx answers per second. */
  rate: number;
  p50: number;
  p99: number;
  /** 2xx per second in each round. */
  roundRates: number[];
  /** CPU time of the server process per 2xx answer (µs), when its pid is known: steadier than rates on a busy host. */
  cpuPerRequestUs: number;
  /** CPU time of its redis-server per 2xx answer (µs), when that pid is known. */
  redisCpuPerRequestUs: number;
}

interface Sample {
  ok: number;
  failed: number;
  seconds: number;
  latencies: number[];
  cpuMs: number;
  redisCpuMs: number;
}

/** Closed-loop load: `connections` connections, each sending the next request when the answer came. */
async function hammer(target: Target, connections: number, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const pids = target.pid ? [target.pid, ...(target.otherPids ?? [])] : [];
  const cpuOf = () => (pids.length ? pids.reduce((sum, pid) => sum + processCpuMs(pid), 0) : Number.NaN);
  const cpuBefore = cpuOf();
  const redisCpuBefore = target.redisPid ? processCpuMs(target.redisPid) : Number.NaN;
  const instance = autocannon({
    url: target.url + target.path,
    method: target.method ?? 'POST',
    connections,
    duration: seconds,
    headers: target.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: target.body,
    timeout: 30,
    ...(target.headersPerRequest
      ? { requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...target.headersPerRequest!() } }) }] }
      : {}),
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.push(responseTime);
    } else failed++;
  });
  const result = await instance;
  const cpuMs = cpuOf() - cpuBefore;
  const redisCpuMs = target.redisPid ? processCpuMs(target.redisPid) - redisCpuBefore : Number.NaN;
  return { ok, failed: failed + result.errors, seconds: result.duration, latencies, cpuMs, redisCpuMs };
}

export interface CompareOptions {
  connections: number;
  /** Each target is loaded this long per round. */
  secondsPerRound: number;
  rounds: number;
  /** Load before the rounds, not counted (JIT, connection pools, Redis warm-up). */
  warmupSeconds: number;
  /** Called between two load segments (e.g. to free Redis). */
  between?: () => Promise<void>;
  /** Told about every measured segment (label, 2xx per second). */
  onSegment?: (label: string, rate: number) => void | Promise<void>;
}

/**
 * Measures targets in alternation: every round loads each target in turn (the order rotates from
 * round to round), so that a slow minute caused by other work on the machine falls on all of them
 * alike, and the ratios stay meaningful on a noisy host.
 */
export async function compareUnderLoad(targets: Target[], options: CompareOptions): Promise<Map<string, LoadSummary>> {
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.label, []]));
  for (const target of targets) {
    await hammer(target, options.connections, options.warmupSeconds);
    await options.between?.();
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      const sample = await hammer(target, options.connections, options.secondsPerRound);
      samples.get(target.label)!.push(sample);
      await options.onSegment?.(target.label, sample.ok / sample.seconds);
      await options.between?.();
    }
  }
  const summaries = new Map<string, LoadSummary>();
  for (const [label, list] of samples) {
    const ok = list.reduce((n, s) => n + s.ok, 0);
    const seconds = list.reduce((n, s) => n + s.seconds, 0);
    const latencies = list.flatMap((s) => s.latencies);
    summaries.set(label, {
      label,
      ok,
      failed: list.reduce((n, s) => n + s.failed, 0),
      seconds,
      rate: ok / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      roundRates: list.map((x) => x.ok / x.seconds),
      cpuPerRequestUs: (list.reduce((n, x) => n + x.cpuMs, 0) * 1000) / ok,
      redisCpuPerRequestUs: (list.reduce((n, x) => n + x.redisCpuMs, 0) * 1000) / ok,
    });
  }
  return summaries;
}

/**
 * How `a` compares with `b`: the median over rounds of the ratio of their rates in the same round.
 * Neighbouring segments share the machine's mood, so this is steadier than the ratio of the totals.
 */
export function rateRatio(a: LoadSummary, b: LoadSummary): number {
  const ratios = a.roundRates.map((rate, i) => rate / b.roundRates[i]);
  return percentile(ratios, 50);
}

/** One sequential GET, timed from the request to the end of the body (ms); anything but 200 throws. */
export async function timeGet(url: string, path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url + path);
  await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return performance.now() - started;
}

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acceptRate } from './benchmarks/accept-rate.bench';
import { bigBatches } from './benchmarks/big-batches.bench';
import { consoleReads } from './benchmarks/console-reads.bench';
import { dispatchRate } from './benchmarks/dispatch-rate.bench';
import { notifications } from './benchmarks/notifications.bench';
import { endToEnd } from './benchmarks/end-to-end.bench';
import { payloadThroughput } from './benchmarks/payload-throughput.bench';
import { reads } from './benchmarks/reads.bench';
import { scheduling } from './benchmarks/scheduling.bench';
import { rateLimit } from './benchmarks/rate-limit.bench';
import { statusLag } from './benchmarks/status-lag.bench';
import { watcherMemory } from './benchmarks/watcher-memory.bench';
import type { Benchmark, BenchContext } from './support/benchmark';
import { LOG_DIR, PROFILE_DIR, REPORT_FILE, ROOT } from './support/paths';
import { type BenchmarkOutcome, describeMachine, loadAverage, markdownReport, textTable } from './support/report';

/**
 * `npm run bench`: runs every benchmark (each starts and stops what it needs), prints the table and
 * writes it to docs/BENCHMARKS.md. Options (after `npm run bench --`):
 *   --only 1,7     run these benchmarks only (by id; the report file is then left alone)
 *   --profile      start the services under measurement with --cpu-prof (files in .tmp/bench-profiles)
 *   --large        also the 10,000-job end-to-end run at 20 QPS (10L, ~9 minutes); `--only 10L` runs it alone
 */
const BENCHMARKS: Benchmark[] = [acceptRate, bigBatches, payloadThroughput, dispatchRate, statusLag, rateLimit, reads, watcherMemory, endToEnd('small'), notifications, consoleReads, scheduling];
const LARGE: Benchmark[] = [endToEnd('large')];

const PREAMBLE = `One command runs them all: \`npm run bench\` (4 to 8 minutes on 2 cores). It compiles bench/, apps/, libs/ and
test/support/ with the project's swc (the compiler jest uses) into .tmp/bench-build, runs bench/run.ts,
prints the table and rewrites this file. Each benchmark starts what it needs and stops it: private
redis-servers on random ports, the real scheduler built by createScheduler from an environment as in
production (the roles it needs, JSON logs at info), each service in a child process of its own (its log
in .tmp/bench-logs), the baselines, the fake Kubernetes API server of the tests. Everything runs on
loopback. \`npm run bench -- --only 1,4\` runs some (without touching this file); \`--profile\` starts the
services under measurement with --cpu-prof (.tmp/bench-profiles; read one with
\`node .tmp/bench-build/bench/profile-summary.js <file>\`). \`--large\` adds the 10,000-job end-to-end run
at the default 20 QPS (10L, ~9 minutes); \`--only 10L\` runs it alone.

The host is small and shared with other work, so absolute figures are noisy: every figure that is
compared is a ratio against a baseline measured in the same run, with load applied to the scheduler and
its baseline in alternation so that a busy moment falls on both; ratios are medians over rounds.`;

function parseArgs(argv: string[]) {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]?.split(',').map((s) => s.trim()) : undefined;
  return { only, profile: argv.includes('--profile'), large: argv.includes('--large') };
}

function selected(benchmark: Benchmark, only: string[] | undefined): boolean {
  if (!only) return true;
  const ids = benchmark.id.split(',').map((s) => s.trim());
  return only.some((id) => ids.includes(id) || ids.some((own) => own.startsWith(id) && !/^\d+$/.test(own.slice(id.length, id.length + 1))));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = describeMachine();
  const started = Date.now();
  const date = new Date();
  if (args.profile) mkdirSync(PROFILE_DIR, { recursive: true });
  // The services' logs of this run only.
  rmSync(LOG_DIR, { recursive: true, force: true });
  const outcomes: BenchmarkOutcome[] = [];
  const large = LARGE.filter((b) => (args.only ? selected(b, args.only) && args.only.some((id) => id.endsWith('L')) : args.large));
  for (const benchmark of [...BENCHMARKS.filter((b) => selected(b, args.only) && !(args.only?.every((id) => id.endsWith('L')))), ...large]) {
    const log = (message: string) => console.log(`[bench ${benchmark.id}] ${message}`);
    const ctx: BenchContext = {
      log,
      profile: (name) => (args.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : []),
    };
    log(`${benchmark.title}...`);
    const t0 = Date.now();
    try {
      const result = await benchmark.run(ctx);
      const seconds = (Date.now() - t0) / 1000;
      outcomes.push({ id: benchmark.id, title: benchmark.title, rows: result.rows, notes: [...benchmark.method, ...(result.notes ?? [])], seconds });
      log(`done in ${Math.round(seconds)} s`);
      console.log(textTable(result.rows));
      // The figures behind the rows (rates per round, ...); the method is in the report only.
      for (const note of result.notes ?? []) console.log(note);
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      console.error(`[bench ${benchmark.id}] FAILED: ${error instanceof Error ? error.stack : String(error)}`);
      outcomes.push({ id: benchmark.id, title: benchmark.title, rows: [], notes: benchmark.method, error: message, seconds: (Date.now() - t0) / 1000 });
    }
  }
  const totalSeconds = (Date.now() - started) / 1000;
  machine.loadAtEnd = loadAverage();
  console.log(`\nBenchmarks (${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}) in ${Math.round(totalSeconds)} s:\n`);
  console.log(textTable(outcomes.flatMap((o) => o.rows)));
  for (const o of outcomes.filter((x) => x.error)) console.log(`\n${o.id} ${o.title}: did not complete: ${o.error}`);
  if (!args.only) {
    const afterword = readFileSync(join(ROOT, 'bench', 'findings.md'), 'utf8').trim();
    writeFileSync(REPORT_FILE, markdownReport({ date, machine, command: 'npm run bench', outcomes, totalSeconds, preamble: PREAMBLE, afterword }));
    console.log(`\nwritten to ${REPORT_FILE}`);
  }
  if (outcomes.some((o) => o.error)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

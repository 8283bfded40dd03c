import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** One line of the results table. */
export interface Row {
  id: string;
  benchmark: string;
  result: string;
  /** What the result is compared with, measured in the same run. */
  baseline: string;
  ratio: string;
  target: string;
  /** undefined: reported only, no target. */
  met?: boolean;
}

export interface BenchmarkOutcome {
  id: string;
  title: string;
  rows: Row[];
  /** How it was measured and what the figures mean; goes to docs/BENCHMARKS.md. */
  notes: string[];
  error?: string;
  seconds: number;
}

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const dec = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const ms = (n: number) => `${dec(n, n < 10 ? 2 : 1)} ms`;
export const mb = (bytes: number) => `${dec(bytes / 1024 / 1024, 0)} MB`;
export const times = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a');

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  node: string;
  redis: string;
  platform: string;
  loadAtStart: string;
  loadAtEnd?: string;
}

/** 1, 5 and 15 minute load averages: how busy the host was (2 cores: above 2 it was oversubscribed). */
export const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' / ');

export function describeMachine(): Machine {
  let redis = 'unknown';
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? redis;
  } catch {
    // reported as unknown
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memory: `${dec(totalmem() / 1024 ** 3, 1)} GiB`,
    node: process.version,
    redis,
    platform: `${process.platform} ${process.arch}`,
    loadAtStart: loadAverage(),
  };
}

const COLUMNS: { key: keyof Row; title: string }[] = [
  { key: 'id', title: '#' },
  { key: 'benchmark', title: 'Benchmark' },
  { key: 'result', title: 'Result' },
  { key: 'baseline', title: 'Baseline (same run)' },
  { key: 'ratio', title: 'Ratio' },
  { key: 'target', title: 'Target' },
];

const verdict = (row: Row) => (row.met === undefined ? '-' : row.met ? 'met' : 'MISSED');

/** The table as aligned text, for the terminal. */
export function textTable(rows: Row[]): string {
  const header = [...COLUMNS.map((c) => c.title), 'Met?'];
  const lines = rows.map((row) => [...COLUMNS.map((c) => String(row[c.key] ?? '')), verdict(row)]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(rows: Row[]): string {
  const header = `| ${[...COLUMNS.map((c) => c.title), 'Met?'].join(' | ')} |`;
  const rule = `|${[...COLUMNS, 'met'].map(() => '---').join('|')}|`;
  const lines = rows.map((row) => `| ${[...COLUMNS.map((c) => escape(String(row[c.key] ?? ''))), verdict(row)].join(' | ')} |`);
  return [header, rule, ...lines].join('\n');
}

export function markdownReport(input: { date: Date; machine: Machine; command: string; outcomes: BenchmarkOutcome[]; totalSeconds: number; preamble: string; afterword: string }): string {
  const { machine, outcomes } = input;
  const rows = outcomes.flatMap((o) => o.rows);
  const failed = outcomes.filter((o) => o.error);
  const parts = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts): edit bench/ (the findings: bench/findings.md), not this file. -->',
    '',
    input.preamble,
    '',
    '## Last run',
    '',
    `- Date: ${input.date.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} memory, ${machine.platform}`,
    `- Load average (1/5/15 min) at start ${machine.loadAtStart}, at end ${machine.loadAtEnd ?? 'n/a'} (other work shares the host)`,
    `- Node ${machine.node}, redis-server ${machine.redis}`,
    `- Command: \`${input.command}\` (${Math.round(input.totalSeconds)} s)`,
    '',
    markdownTable(rows),
    '',
  ];
  if (failed.length) {
    parts.push('Benchmarks that did not complete:', '');
    for (const o of failed) parts.push(`- ${o.id} ${o.title}: ${o.error}`);
    parts.push('');
  }
  parts.push('## How each figure is measured', '');
  for (const o of outcomes) {
    parts.push(`### ${o.id}. ${o.title}`, '', ...o.notes.map((n) => `- ${n}`), '');
  }
  parts.push(input.afterword, '');
  return parts.join('\n');
}

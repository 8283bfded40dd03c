import type { Row } from './report';

export interface BenchContext {
  /** Node flags for a service under measurement: --cpu-prof into .tmp/bench-profiles when `--profile` is given. */
  profile(name: string): string[];
  log(message: string): void;
}

export interface BenchmarkResult {
  rows: Row[];
  /** Figures worth reading beside the table (run-specific). */
  notes?: string[];
}

export interface Benchmark {
  id: string;
  title: string;
  /** How it is measured; printed in docs/BENCHMARKS.md. */
  method: string[];
  run(ctx: BenchContext): Promise<BenchmarkResult>;
}

import { join, resolve } from 'node:path';

/** The checkout: bench files run compiled from .tmp/bench-build/bench/support (see bench/build.js). */
export const ROOT = resolve(__dirname, '..', '..', '..', '..');
export const BENCH_RADIX_CONFIG = join(ROOT, 'bench', 'radixconfig.yaml');
export const REPORT_FILE = join(ROOT, 'docs', 'BENCHMARKS.md');
export const PROFILE_DIR = join(ROOT, '.tmp', 'bench-profiles');
export const LOG_DIR = join(ROOT, '.tmp', 'bench-logs');

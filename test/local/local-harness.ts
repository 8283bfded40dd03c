import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalJobRuntime, type LocalRuntimeOptions } from '@rjs/runtime';
import type { RuntimeHarness } from '../runtime-contract/runtime-contract';

/** A LocalJobRuntime on a private work directory, with short waits so that tests run quickly. */
export async function makeLocalHarness(options: Partial<LocalRuntimeOptions> = {}): Promise<RuntimeHarness & { runtime: LocalJobRuntime; workDir: string }> {
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'rjs-local-'));
  const runtime = new LocalJobRuntime({
    workDir,
    maxRunning: 8,
    stopGraceSeconds: 2,
    retryBackoff: { initialMs: 50, maxMs: 200 },
    sinkRetry: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  return {
    runtime,
    workDir,
    async cleanup() {
      await runtime.close();
      rmSync(workDir, { recursive: true, force: true });
    },
    async leftovers(jobName) {
      const dir = join(workDir, jobName);
      return existsSync(dir) ? readdirSync(dir).map((file) => `${dir}/${file}`).concat(dir) : [];
    },
  };
}

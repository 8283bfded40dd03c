import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importsOf, productFiles } from '../architecture/import-boundaries';
import { ensureBuilt } from '../support/service-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { envWithNode, supportedNode } = require('../../scripts/supported-node') as {
  envWithNode: (node: string) => NodeJS.ProcessEnv;
  supportedNode: () => string;
};

const repo = join(__dirname, '..', '..');
const INSTALL_TIMEOUT_MS = 240_000;

/** A folder holding only package.json and package-lock.json, as a fresh clone has them. */
function scratchWithManifests(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(repo, file), join(dir, file));
  return dir;
}

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: envWithNode(supportedNode()), timeout: INSTALL_TIMEOUT_MS });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/** The npm packages the product code (apps/, libs/) imports, type-only imports left out. */
function packagesImportedByProduct(): string[] {
  const names = new Set<string>();
  for (const file of productFiles(repo)) {
    const source = readFileSync(file, 'utf8').replace(/^import type .*$/gm, '');
    for (const specifier of importsOf(source)) {
      if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('@rjs/')) continue;
      const segments = specifier.split('/');
      names.add(specifier.startsWith('@') ? segments.slice(0, 2).join('/') : segments[0]);
    }
  }
  return [...names].sort();
}

describe('installing from package.json and package-lock.json alone', () => {
  const scratches: string[] = [];
  afterAll(() => scratches.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it(
    'npm ci accepts the lock and warns about nothing on a supported Node.js',
    () => {
      const dir = scratchWithManifests('rjs-npm-ci-');
      scratches.push(dir);
      const { status, output } = run('npm', ['ci', '--no-audit', '--no-fund'], dir);
      expect({ status, output }).toEqual({ status: 0, output: expect.any(String) });
      expect(output.split('\n').filter((line) => /npm (warn|error)/i.test(line))).toEqual([]);
      // npm ci never rewrites the lock: a fresh clone stays clean.
      expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
    },
    INSTALL_TIMEOUT_MS,
  );

  it(
    "the runtime image's install (scripts/install-runtime-deps.sh) has every package the built service loads, and no build tool",
    () => {
      ensureBuilt();
      const dir = scratchWithManifests('rjs-runtime-deps-');
      scratches.push(dir);
      const { status, output } = run('sh', [join(repo, 'scripts', 'install-runtime-deps.sh')], dir);
      expect({ status, output }).toEqual({ status: 0, output: expect.any(String) });

      for (const buildOnly of ['typescript', 'jest', '@nestjs/cli', '@swc/core', 'playwright-core']) {
        expect({ buildOnly, installed: existsSync(join(dir, 'node_modules', buildOnly)) }).toEqual({ buildOnly, installed: false });
      }
      const wanted = packagesImportedByProduct();
      expect(wanted).toEqual(expect.arrayContaining(['@nestjs/core', '@kubernetes/client-node', 'bullmq', 'ioredis', 'class-validator']));
      const missing = run(process.execPath, ['-e', `for (const name of ${JSON.stringify(wanted)}) { try { require.resolve(name); } catch { console.log(name); } }`], dir);
      expect(missing).toEqual({ status: 0, output: '\n' });

      // The whole module graph of every role, loaded as the image loads it (without starting anything).
      cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true });
      const load = run(process.execPath, ['-e', "require('./dist/apps/scheduler/src/app.module'); require('./dist/apps/scheduler/src/runtime-adapters');"], dir);
      expect(load).toEqual({ status: 0, output: '\n' });

      const size = spawnSync('du', ['-sm', join(dir, 'node_modules')], { encoding: 'utf8' }).stdout.split('\t')[0];
      console.log(`runtime image node_modules: ${size} MB (scripts/install-runtime-deps.sh)`);
    },
    INSTALL_TIMEOUT_MS,
  );
});

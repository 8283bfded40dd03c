#!/usr/bin/env node
// `npm test`: installs what the tests need (npm packages; redis-server and chromium from apt when
// missing and we are root), then runs every jest test. Extra arguments go to jest.
'use strict';
const { execSync, spawnSync } = require('node:child_process');
const { ensureDependencies, root } = require('./ensure-deps');

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages) {
  if (process.getuid?.() !== 0) {
    console.error(`[setup] missing ${packages.join(', ')}; install them (apt-get install ${packages.join(' ')}) and run again`);
    process.exit(1);
  }
  console.log(`[setup] installing ${packages.join(', ')} with apt-get...`);
  execSync('apt-get update -qq', { stdio: 'inherit' });
  execSync(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.join(' ')}`, { stdio: 'inherit' });
}

ensureDependencies();
const missing = [];
if (!has('redis-server')) missing.push('redis-server');
// The Bull Board browser test drives Debian's chromium through playwright-core.
if (!require('node:fs').existsSync('/usr/bin/chromium')) missing.push('chromium');
if (missing.length) aptInstall(missing);

// swc strips types without checking them: check them first.
console.log('[test] type-checking (tsc --noEmit)...');
const typecheck = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);

const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR },
});
process.exit(result.status ?? 1);

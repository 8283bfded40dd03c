#!/usr/bin/env node
// `npm test`: installs what the tests need (npm packages; the programs of scripts/test-tools.js when
// missing and we are root), then runs every jest test. Extra arguments go to jest.
'use strict';
const { spawnSync } = require('node:child_process');
const { ensureDependencies, root } = require('./ensure-deps');
const { ensureTestTools } = require('./test-tools');

ensureDependencies();
ensureTestTools();

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

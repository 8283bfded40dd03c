#!/usr/bin/env node
// `npm test`: installs what the tests need (npm packages with npm ci; the programs of
// scripts/test-tools.js when missing and we are root), type-checks, then runs every jest test under
// a supported Node.js. On a machine whose own Node.js is older than package.json's engines allow,
// the suite runs a second time under that Node.js, so that the code keeps running where users
// still have it. `npm run test:reliability` (the slow scenarios) passes --slow: that set runs once,
// on the supported Node.js. Other arguments go to jest.
'use strict';
const { spawnSync } = require('node:child_process');
const { ensureDependencies, root } = require('./ensure-deps');
const { envWithNode, supportedNode } = require('./supported-node');
const { ensureTestTools } = require('./test-tools');

function run(node, args, env = process.env) {
  const result = spawnSync(node, args, { cwd: root, stdio: 'inherit', env: { ...env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const args = process.argv.slice(2);
const slow = args[0] === '--slow';
const jestArgs = slow ? ['-c', 'test/reliability/jest.slow.config.js', ...args.slice(1)] : args;

const node = supportedNode();
ensureDependencies(node);
ensureTestTools();

const jest = [require.resolve('jest/bin/jest'), '--runInBand', ...jestArgs];
const nodeVersion = (binary) => spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!slow) {
  // swc strips types without checking them: check them first.
  console.log('[test] type-checking (tsc --noEmit)...');
  run(node, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
}
console.log(`[test] jest on Node.js ${nodeVersion(node)}`);
run(node, jest, envWithNode(node));
if (!slow && node !== process.execPath) {
  console.log(`[test] jest again on this machine's Node.js ${process.version} (older than package.json's engines: kept working, not supported)`);
  // test/deploy checks files and installs, which do not depend on the Node.js that runs jest.
  run(process.execPath, [...jest, '--testPathIgnorePatterns', '/test/deploy/']);
}

// Installs the npm dependencies exactly as package-lock.json lists them (npm ci) when node_modules
// is missing or older than the lock, so that `npm start` and `npm test` work on a fresh clone with
// one command each and never rewrite a tracked file. npm runs under a supported Node.js, so that
// every package's engines field is met.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { envWithNode, supportedNode } = require('./supported-node');

const root = join(__dirname, '..');

function ensureDependencies(node = supportedNode()) {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('[setup] installing npm dependencies (npm ci)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env: envWithNode(node) });
}

module.exports = { ensureDependencies, root };

// `node scripts/ensure-deps.js` on its own: used by npm scripts that need the packages (bench).
if (require.main === module) ensureDependencies();

// Installs the npm dependencies when node_modules is missing or older than package-lock.json, so
// that `npm start` and `npm test` work on a fresh clone with one command each.
'use strict';
const { execSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // npm install honours the lock; npm ci would refuse it, because the lock cannot list every
  // platform's optional binary of @swc/core and msgpackr-extract.
  console.log('[setup] installing npm dependencies (npm install)...');
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}

module.exports = { ensureDependencies, root };

// `node scripts/ensure-deps.js` on its own: used by npm scripts that need the packages (bench, test:reliability).
if (require.main === module) ensureDependencies();

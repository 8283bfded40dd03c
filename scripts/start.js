#!/usr/bin/env node
// `npm start`: installs what is missing, builds when the sources changed (build-if-changed.js), finds or starts Redis, and runs the scheduler
// (API + worker + watcher in one process, local runtime unless JOB_RUNTIME says otherwise), all
// under a supported Node.js (scripts/supported-node.js).
'use strict';
const { execSync, spawn } = require('node:child_process');
const { buildIfChanged } = require('./build-if-changed');
const { ensureDependencies, root } = require('./ensure-deps');
const { resolveRedis } = require('./redis');
const { envWithNode, supportedNode } = require('./supported-node');

async function main() {
  const node = supportedNode();
  ensureDependencies(node);
  const built = buildIfChanged(root, () => {
    console.log('[setup] building (npm run build)...');
    execSync('npm run build --silent', { cwd: root, stdio: 'inherit', env: envWithNode(node) });
  });
  if (!built) console.log('[setup] build is up to date (sources unchanged since the last build)');
  let redis;
  try {
    redis = await resolveRedis(root);
  } catch (error) {
    console.error(`radix-job-scheduler: ${error.message}`);
    process.exit(1);
  }
  const service = spawn(node, ['dist/apps/scheduler/src/main.js'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...(redis.url && { REDIS_URL: redis.url }) },
  });
  const forward = (signal) => service.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  service.on('exit', (code, signal) => {
    if (redis.child) redis.child.kill('SIGTERM');
    process.exit(code ?? (signal ? 1 : 0));
  });
}

main();

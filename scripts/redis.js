// Finds Redis for `npm start`: REDIS_URL when set; else whatever answers on 127.0.0.1:6379; else a
// private redis-server started here (data in .tmp/redis, AOF on), stopped when the service stops.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');
const net = require('node:net');
const { join } = require('node:path');

function ping(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startPrivateRedis(root) {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const dir = join(root, '.tmp', 'redis');
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (await ping('127.0.0.1', port)) return { url: `redis://127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  return undefined;
}

/**
 * Returns { url, child? } or throws with a message that says how to get Redis. `defaultPort` is
 * where a Redis is looked for when REDIS_URL is unset (tests pass a free one). With
 * REDIS_CLUSTER_NODES the scheduler uses that Redis Cluster: { url: undefined }, nothing started.
 */
async function resolveRedis(root, { env = process.env, defaultPort = 6379 } = {}) {
  if (env.REDIS_CLUSTER_NODES) return { url: undefined };
  if (env.REDIS_URL) return { url: env.REDIS_URL };
  if (await ping('127.0.0.1', defaultPort)) return { url: `redis://127.0.0.1:${defaultPort}` };
  const started = await startPrivateRedis(root);
  if (started) {
    console.log(`[setup] nothing answers on 127.0.0.1:${defaultPort}: started a private redis-server at ${started.url} (data in .tmp/redis)`);
    return started;
  }
  throw new Error(
    'no Redis: nothing answers on 127.0.0.1:6379 and redis-server is not installed.\n' +
      '  Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),\n' +
      '  run one (docker run -p 6379:6379 redis:7), or set REDIS_URL=redis://host:port.',
  );
}

module.exports = { resolveRedis, ping };

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestRedis } from '../support/redis-server';

// scripts/ are plain Node (npm start runs them before anything is built).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { resolveRedis, ping } = require('../../scripts/redis.js') as {
  resolveRedis(root: string, options: { env: Record<string, string>; defaultPort: number }): Promise<{ url: string; child?: { kill(signal: string): void; once(event: string, cb: () => void): void } }>;
  ping(host: string, port: number): Promise<boolean>;
};

describe('npm start finds Redis', () => {
  const root = mkdtempSync(join(tmpdir(), 'rjs-start-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('uses REDIS_URL when it is set, without looking further', async () => {
    expect(await resolveRedis(root, { env: { REDIS_URL: 'redis://example:1234' }, defaultPort: 1 })).toEqual({ url: 'redis://example:1234' });
  });

  it('starts nothing and sets no REDIS_URL when REDIS_CLUSTER_NODES names a Redis Cluster', async () => {
    expect(await resolveRedis(root, { env: { REDIS_CLUSTER_NODES: 'redis-0:6379' }, defaultPort: 1 })).toEqual({ url: undefined });
  });

  it('uses a Redis that answers on the default port', async () => {
    const server = await TestRedis.start();
    try {
      const found = await resolveRedis(root, { env: {}, defaultPort: server.port });
      expect(found).toEqual({ url: server.url });
    } finally {
      await server.stop();
    }
  });

  it('starts a private redis-server, with AOF in .tmp/redis, when nothing answers', async () => {
    const silentPort = await freePort();
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const found = await resolveRedis(root, { env: {}, defaultPort: silentPort });
    log.mockRestore();
    try {
      expect(found.child).toBeDefined();
      const port = Number(new URL(found.url).port);
      expect(port).not.toBe(silentPort);
      expect(await ping('127.0.0.1', port)).toBe(true);
      // Redis 7 keeps its append-only files in this folder.
      expect(existsSync(join(root, '.tmp', 'redis', 'appendonlydir'))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => {
        found.child!.once('exit', resolve);
        found.child!.kill('SIGKILL');
      });
    }
  });
});

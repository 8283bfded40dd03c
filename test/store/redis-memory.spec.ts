import { execFileSync } from 'node:child_process';
import { FULL_MARGIN_BYTES, type RedisClient, readRedisMemory } from '@rjs/store';
import { TestRedisCluster } from '../support/redis-cluster';
import { REDIS_TOPOLOGIES, type RedisUnderTest, startRedisOf } from '../support/redis-topology';

/** The figures behind the readiness warning "status store has room", on one Redis and on a cluster. */
describe.each(REDIS_TOPOLOGIES)('readRedisMemory on %s Redis', (topology) => {
  let server: RedisUnderTest;
  let client: RedisClient;

  beforeAll(async () => {
    server = await startRedisOf(topology);
    client = server.client();
    await client.set('warm-up', 'x');
  }, 60_000);

  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  it('reads the memory in use, without a limit: not full', async () => {
    const memory = await readRedisMemory(client);
    expect(memory.usedBytes).toBeGreaterThan(0);
    expect(memory).toMatchObject({ maxBytes: 0, full: false });
  });

  it('says full once a node that holds data is within the margin of its maxmemory', async () => {
    // On a cluster, one master of three (redis-cli signed in as its user); the others have no limit.
    const setMaxMemory = (bytes: number) =>
      server instanceof TestRedisCluster
        ? server.cli(server.ports[1], 'CONFIG', 'SET', 'maxmemory', String(bytes))
        : execFileSync('redis-cli', ['-p', new URL(server.env.REDIS_URL).port, 'CONFIG', 'SET', 'maxmemory', String(bytes)]);
    // Any limit below what the node uses plus the margin: a refused small write is near.
    const limit = 1024 * 1024;
    await setMaxMemory(limit);
    try {
      const memory = await readRedisMemory(client);
      expect(memory).toMatchObject({ full: true, maxBytes: limit });
      expect(memory.usedBytes + FULL_MARGIN_BYTES).toBeGreaterThan(limit);
    } finally {
      await setMaxMemory(0);
    }
  });
});

import type { Command } from 'ioredis';
import type { NewBatch } from '@rjs/core';
import { RedisStatusStore } from '@rjs/store';
import { TestRedis } from '../test/support/redis-server';

/**
 * Where the Redis time of accepting one job goes: `npm run bench:record-script`. Creates single
 * jobs through the store (the record script, as POST /api/v1/jobs writes them: 50 at a time, on a
 * private redis-server already holding some) and reads redis-server's own accounting (INFO
 * commandstats, microseconds per command; a script's time includes the commands it calls). Then
 * calls a script that does nothing with the very same arguments: the cost of calling a script.
 * Redis time matters beside the API's CPU: they share the cores (benchmark 1 reports both).
 */

const CREATES = 20_000;
const AT_ONCE = 50;
const CREATED = '2026-11-30T04:30:00Z';

/** A single job as the acceptor records it for `{"jobId":"bench","payload":...}` with a typical component. */
function singleJob(i: number): NewBatch {
  const batchName = `batch-compute-20261130043000-${i.toString(36).padStart(8, '0')}`;
  const name = `${batchName}-abcdefgh`;
  return {
    batch: { name: batchName, batchType: 'job', created: CREATED, jobNames: [name] },
    jobs: [
      {
        record: { name, jobId: 'bench', batchName, batchType: 'job', created: CREATED, updated: CREATED, status: 'Waiting', failed: 0, podStatuses: [] },
        spec: {
          name,
          batchName,
          batchType: 'job',
          jobId: 'bench',
          hasPayload: true,
          image: 'docker.io/library/busybox:latest',
          command: ['sh', '-c', 'echo hello'],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          backoffLimit: 0,
          timeLimitSeconds: 43200,
          variables: { MODE: 'bench' },
        } as unknown as NewBatch['jobs'][number]['spec'],
        payload: '{"x": 10, "y": 20}',
      },
    ],
  };
}

/** Microseconds and calls per command while `work` runs. */
async function commandStats(redis: TestRedis, work: () => Promise<void>): Promise<Map<string, { calls: number; usec: number }>> {
  const client = redis.client();
  try {
    await client.config('RESETSTAT');
    await work();
    const stats = new Map<string, { calls: number; usec: number }>();
    for (const line of (await client.info('commandstats')).split('\r\n')) {
      const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+),/.exec(line);
      if (match && match[1] !== 'config|resetstat') stats.set(match[1], { calls: Number(match[2]), usec: Number(match[3]) });
    }
    return stats;
  } finally {
    client.disconnect();
  }
}

async function inGroups(count: number, one: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += AT_ONCE) await Promise.all(Array.from({ length: AT_ONCE }, (_, k) => one(i + k)));
}

async function main(): Promise<void> {
  const redis = await TestRedis.start();
  const client = redis.client();
  try {
    const store = new RedisStatusStore(client, 'compute');
    await inGroups(2_000, (i) => store.create(singleJob(1_000_000 + i)));

    const creates = await commandStats(redis, () => inGroups(CREATES, (i) => store.create(singleJob(i))));
    const script = creates.get('evalsha')!;
    console.log(`record script of a single job: ${(script.usec / CREATES).toFixed(1)} µs of Redis time (${CREATES.toLocaleString('en')} creates, ${AT_ONCE} at a time)`);
    console.log('  of which the commands it calls (per create):');
    for (const [name, { calls, usec }] of [...creates].filter(([name]) => name !== 'evalsha').sort((a, b) => b[1].usec - a[1].usec)) {
      console.log(`    ${name.padEnd(8)} ${(calls / CREATES).toFixed(2)} calls, ${(usec / CREATES).toFixed(1)} µs`);
    }

    // The arguments of one real create, sent to a script that only returns.
    let captured: (string | number)[] | undefined;
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command: Command, ...rest: unknown[]) => {
      if (command.name === 'evalsha') captured = [...command.args] as (string | number)[];
      return (send as (...a: unknown[]) => unknown)(command, ...rest);
    };
    await store.create(singleJob(5_000_000));
    client.sendCommand = send;
    const [, numKeys, ...keysAndArgs] = captured!;
    const noop = (await client.script('LOAD', 'return 1')) as string;
    const calls = await commandStats(redis, () => inGroups(CREATES, () => client.evalsha(noop, numKeys, ...keysAndArgs)));
    console.log(`a script that only returns, with the same ${keysAndArgs.length} keys and arguments: ${(calls.get('evalsha')!.usec / CREATES).toFixed(1)} µs`);
  } finally {
    client.disconnect();
    await redis.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

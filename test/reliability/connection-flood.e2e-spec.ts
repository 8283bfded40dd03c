import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { eventually } from '../support/eventually';
import { reliabilityFixture } from './reliability-fixture';
import { compareRuns, countRuns, post, printFigures, tally, waitUntilFinal } from './reliability-support';

const JOBS = 40;
const MAX_RUNNING = 4;
/** The service's open-files limit: the flood alone would take every descriptor. */
const MAX_OPEN_FILES = 400;
const MAX_CONNECTIONS = 100;
const FLOOD = 600;

/**
 * A combined process (api and worker roles, local runtime) under a flood of idle connections, more
 * than it may open files: HTTP_MAX_CONNECTIONS keeps the flood from taking the descriptors that
 * the worker needs to spawn jobs, write their logs and talk to Redis, so the jobs accepted before
 * the flood keep being launched and finished while it lasts.
 */
describe('a connection flood on a combined api+worker process', () => {
  const fixture = reliabilityFixture({ name: 'connection-flood', maxRunning: MAX_RUNNING, logLevel: 'info' });

  it('keeps launching and finishing jobs, holding at most HTTP_MAX_CONNECTIONS connections', async () => {
    const { client, runsFile, start } = fixture;
    const service = await start('combined', 'api,worker', { env: { HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS) }, maxOpenFiles: MAX_OPEN_FILES });

    const answer = await post(
      `${service.url}/api/v1/batches`,
      { defaultRadixJobComponentConfig: { variables: { SLEEP_SECONDS: '0.5' } }, jobScheduleDescriptions: Array.from({ length: JOBS }, (_, i) => ({ jobId: `j${i}` })) },
      30_000,
    );
    const accepted = tally([answer]).acceptedJobs;
    expect(accepted).toHaveLength(JOBS);

    // The flood: FLOOD idle connections, topped up as the server closes them, until the jobs are done.
    const { port } = new URL(service.url);
    const open = new Set<Socket>();
    let opened = 0;
    let flooding = true;
    const topUp = async () => {
      while (flooding) {
        for (let i = 0; i < 50 && open.size < FLOOD; i++) {
          const socket = connect(Number(port), '127.0.0.1');
          opened++;
          open.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => open.delete(socket));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const flood = topUp();
    await eventually(() => opened >= FLOOD, 'the flood to be under way');
    const ranBeforeFlood = countRuns(runsFile).size;

    const records = await waitUntilFinal(client, accepted, 120_000, () => service.running);
    const runs = countRuns(runsFile);
    const descriptors = readdirSync(`/proc/${service.pid}/fd`).length;
    flooding = false;
    await flood;
    // The server holds no more than its cap; the rest of the flood was closed on arrival.
    const held = await eventually(() => (open.size <= MAX_CONNECTIONS ? open.size + 1 : 0), () => `the flood to shrink to the cap (${open.size} open)`);
    for (const socket of open) socket.destroy();

    const figures = compareRuns(accepted, runs);
    printFigures('connection flood on api+worker', {
      jobs: JOBS,
      'ran before the flood': ranBeforeFlood,
      'ran during the flood': runs.size - ranBeforeFlood,
      'connections opened by the flood': opened,
      'held by the server at the end': held - 1,
      'open files of the service (limit)': `${descriptors} (${MAX_OPEN_FILES})`,
      succeeded: records.filter((r) => r.status === 'Succeeded').length,
      duplicated: figures.duplicated.length,
      lost: figures.lost.length,
    });
    expect(records.map((r) => r.status)).toEqual(accepted.map(() => 'Succeeded'));
    expect(figures.duplicated).toEqual([]);
    expect(figures.lost).toEqual([]);
    // Most jobs ran while the flood was on: it was the flood they outlived, not a quiet spell.
    expect(runs.size - ranBeforeFlood).toBeGreaterThan(JOBS / 2);
    expect(opened).toBeGreaterThan(FLOOD);
    expect(service.log()).not.toContain('EMFILE');
    // And the API answers again once the flood is gone.
    expect((await fetch(`${service.url}/api/v1/jobs`)).status).toBe(200);
  });
});

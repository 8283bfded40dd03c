import type { Observation } from '@rjs/core';
import { ObservationOutbox } from './observation-outbox';
import { silentLogger } from './runtime-logger';

const at = '2024-01-01T00:00:00Z';
const observation = (kind: 'running' | 'succeeded'): Observation => ({ kind, at });

describe('ObservationOutbox', () => {
  it('keeps observations until a sink is set, then delivers them', async () => {
    const outbox = new ObservationOutbox({ initialMs: 1, maxMs: 5 }, silentLogger);
    const delivered: string[] = [];
    outbox.post('job-a', observation('running'));

    outbox.setSink(async (name, o) => void delivered.push(`${name} ${o.kind}`));

    expect(await outbox.flush(1000)).toBe(true);
    expect(delivered).toEqual(['job-a running']);
  });

  it('retries a failed delivery until the sink takes it, then tells who asked', async () => {
    const recorded: string[] = [];
    const outbox = new ObservationOutbox({ initialMs: 1, maxMs: 5 }, silentLogger, (name, o) => recorded.push(`${name} ${o.kind}`));
    let failures = 3;
    const delivered: string[] = [];
    outbox.setSink(async (_name, o) => {
      if (failures-- > 0) throw new Error('redis is down');
      delivered.push(o.kind);
    });

    outbox.post('job-a', observation('succeeded'));

    expect(await outbox.flush(1000)).toBe(true);
    expect(delivered).toEqual(['succeeded']);
    expect(recorded).toEqual(['job-a succeeded']);
  });

  it('delivers only the latest observation of a job that the sink could not take yet', async () => {
    const outbox = new ObservationOutbox({ initialMs: 20, maxMs: 20 }, silentLogger);
    let failing = true;
    const delivered: string[] = [];
    outbox.setSink(async (_name, o) => {
      if (failing) throw new Error('redis is down');
      delivered.push(o.kind);
    });

    outbox.post('job-a', observation('running'));
    outbox.post('job-a', observation('succeeded'));
    failing = false;

    expect(await outbox.flush(1000)).toBe(true);
    expect(delivered).toEqual(['succeeded']);
  });

  it('forgets the observations of a dropped job', async () => {
    const outbox = new ObservationOutbox({ initialMs: 1, maxMs: 5 }, silentLogger);
    outbox.post('job-a', observation('running'));

    outbox.drop('job-a');
    const delivered: string[] = [];
    outbox.setSink(async (_name, o) => void delivered.push(o.kind));

    expect(await outbox.flush(100)).toBe(true);
    expect(delivered).toEqual([]);
  });

  it('says when flush timed out with observations undelivered', async () => {
    const outbox = new ObservationOutbox({ initialMs: 5, maxMs: 5 }, silentLogger);
    outbox.setSink(async () => {
      throw new Error('redis is down');
    });
    outbox.post('job-a', observation('running'));

    expect(await outbox.flush(50)).toBe(false);
    outbox.close();
  });
});

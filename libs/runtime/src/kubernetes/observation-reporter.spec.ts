import type { Observation } from '@rjs/core';
import { ObservationReporter } from './observation-reporter';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const running = (at: string): Observation => ({ kind: 'running', at, podStatuses: [] });

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ObservationReporter', () => {
  it('coalesces a burst of events for one job into one report of its current state', async () => {
    const current = new Map<string, Observation>([['a', running('t1')]]);
    const sent: [string, Observation][] = [];
    const reporter = new ObservationReporter({ observe: (n) => current.get(n), sink: async (n, o) => void sent.push([n, o]), concurrency: 4, retry: { initialMs: 1, maxMs: 1 }, logger: quiet });
    for (let i = 0; i < 5; i++) reporter.enqueue('a');
    reporter.resume();
    await reporter.idle();
    expect(sent).toEqual([['a', running('t1')]]);
  });

  it('does not send again an observation equal to the last one apart from its time', async () => {
    let observation = running('t1');
    const sent: Observation[] = [];
    const reporter = new ObservationReporter({ observe: () => observation, sink: async (_n, o) => void sent.push(o), concurrency: 1, retry: { initialMs: 1, maxMs: 1 }, logger: quiet });
    reporter.resume();
    reporter.enqueue('a');
    await reporter.idle();
    observation = running('t2');
    reporter.enqueue('a');
    await reporter.idle();
    observation = { kind: 'succeeded', at: 't3', podStatuses: [] };
    reporter.enqueue('a');
    await reporter.idle();
    expect(sent.map((o) => o.kind)).toEqual(['running', 'succeeded']);
  });

  it('keeps one report in flight per job and re-reads the state after it', async () => {
    const gate = deferred();
    let state = running('t1');
    const sent: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const reporter = new ObservationReporter({
      observe: () => state,
      sink: async (_n, o) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (o.kind === 'running') await gate.promise;
        sent.push(o.kind);
        inFlight--;
      },
      concurrency: 8,
      retry: { initialMs: 1, maxMs: 1 },
      logger: quiet,
    });
    reporter.resume();
    reporter.enqueue('a');
    state = { kind: 'succeeded', at: 't2', podStatuses: [] };
    reporter.enqueue('a');
    gate.resolve();
    await reporter.idle();
    expect(sent).toEqual(['running', 'succeeded']);
    expect(maxInFlight).toBe(1);
  });

  it('bounds the sink calls in flight across jobs', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const reporter = new ObservationReporter({
      observe: (n) => running(n),
      sink: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
      concurrency: 3,
      retry: { initialMs: 1, maxMs: 1 },
      logger: quiet,
    });
    reporter.resume();
    for (let i = 0; i < 20; i++) reporter.enqueue(`job-${i}`);
    await reporter.idle();
    expect(maxInFlight).toBe(3);
  });

  it('retries a report the sink failed', async () => {
    let failures = 2;
    const sent: Observation[] = [];
    const reporter = new ObservationReporter({
      observe: () => undefined,
      sink: async (_n, o) => {
        if (failures-- > 0) throw new Error('redis down');
        sent.push(o);
      },
      concurrency: 1,
      retry: { initialMs: 5, maxMs: 10 },
      logger: quiet,
    });
    reporter.resume();
    reporter.enqueueObservation('gone', { kind: 'stopped', at: 't1' });
    const deadline = Date.now() + 5000;
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(sent).toEqual([{ kind: 'stopped', at: 't1' }]);
    reporter.close();
  });

  it('reports a fixed observation and then the current state when both are asked for (a restart: the earlier Job gone, the new one there)', async () => {
    const sent: Observation[] = [];
    const current = running('t2');
    const reporter = new ObservationReporter({ observe: () => ({ ...current, generation: 1 }), sink: async (_n, o) => void sent.push(o), concurrency: 1, retry: { initialMs: 1, maxMs: 1 }, logger: quiet });
    reporter.enqueueObservation('a', { kind: 'stopped', at: 't1', generation: 0 });
    reporter.enqueue('a');
    reporter.resume();
    await reporter.idle();
    expect(sent).toEqual([
      { kind: 'stopped', at: 't1', generation: 0 },
      { ...current, generation: 1 },
    ]);
  });

  it('holds reports until resumed', async () => {
    const sent: string[] = [];
    const reporter = new ObservationReporter({ observe: (n) => running(n), sink: async (n) => void sent.push(n), concurrency: 1, retry: { initialMs: 1, maxMs: 1 }, logger: quiet });
    reporter.enqueue('a');
    await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual([]);
    reporter.resume();
    await reporter.idle();
    expect(sent).toEqual(['a']);
  });
});

import type { Observation, ObservationSink } from '@rjs/core';
import { eventually } from '../support/eventually';

const FINAL = new Set<Observation['kind']>(['succeeded', 'failed', 'stopped']);

export const isFinalObservation = (observation: Observation) => FINAL.has(observation.kind);

/** An ObservationSink that keeps everything it is given, per job, for assertions. */
export class CollectingSink {
  private readonly byJob = new Map<string, Observation[]>();

  readonly sink: ObservationSink = async (jobName, observation) => {
    const list = this.byJob.get(jobName) ?? [];
    list.push(structuredClone(observation));
    this.byJob.set(jobName, list);
  };

  of(jobName: string): Observation[] {
    return this.byJob.get(jobName) ?? [];
  }

  kinds(jobName: string): Observation['kind'][] {
    return this.of(jobName).map((o) => o.kind);
  }

  /** Waits for the job's first final observation. */
  final(jobName: string, timeoutMs = 60_000): Promise<Observation> {
    return eventually(() => this.of(jobName).find(isFinalObservation), `a final observation of ${jobName}`, timeoutMs);
  }

  until(jobName: string, predicate: (o: Observation) => boolean, what: string, timeoutMs = 60_000): Promise<Observation> {
    return eventually(() => this.of(jobName).find(predicate), `${what} of ${jobName}`, timeoutMs);
  }
}

import type { Observation } from '../observation';
import type { JobRecordChange, StatusStore } from '../ports';
import { applyObservation } from '../transitions';

/**
 * The one write path for what runtimes observe: the transition table decides, the store applies it
 * with compare-and-set. A final status never changes; replaying an observation changes nothing;
 * an observation about a deleted job is dropped.
 */
export class ObservationRecorder {
  constructor(private readonly store: StatusStore) {}

  record(jobName: string, observation: Observation): Promise<JobRecordChange> {
    return this.store.update(jobName, (current) => applyObservation(current, observation));
  }
}

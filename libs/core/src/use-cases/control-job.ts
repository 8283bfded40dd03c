import { JobStatus } from '../job-status';
import type { Clock, JobRuntime, StatusStore } from '../ports';
import { generationOf, rfc3339 } from '../records';
import type { ObservationRecorder } from './record-observation';

/** Worker side of stop and delete for jobs that reached a runtime. */
export class JobController {
  constructor(
    private readonly store: StatusStore,
    private readonly runtime: JobRuntime,
    private readonly recorder: ObservationRecorder,
    private readonly clock: Clock,
  ) {}

  async stop(jobName: string): Promise<void> {
    const record = await this.store.getJob(jobName);
    if (!record || record.status !== JobStatus.Stopping) return;
    await this.runtime.stop(jobName);
    // The runtime may have reported it already; applying it again changes nothing.
    await this.recorder.record(jobName, { kind: 'stopped', at: rfc3339(this.clock.now()), generation: generationOf(record) });
  }

  async remove(jobName: string): Promise<void> {
    await this.runtime.remove(jobName);
  }
}

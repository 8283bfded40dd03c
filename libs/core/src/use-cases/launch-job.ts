import { JobStatus } from '../job-status';
import type { Clock, JobRuntime, StatusStore } from '../ports';
import { PermanentLaunchError } from '../ports';
import { rfc3339 } from '../records';
import { markLaunched } from '../transitions';
import type { ObservationRecorder } from './record-observation';

export type LaunchOutcome = 'launched' | 'skipped' | 'gone' | 'stopped' | 'failed';

/**
 * Hands one queued job to the runtime, at most once: the record decides whether the job still wants
 * to run, the runtime's launch is idempotent (a worker that dies mid-launch leaves work that another
 * worker retries), and a stop or delete that raced with the launch is undone right after it.
 */
export class JobLauncher {
  constructor(
    private readonly store: StatusStore,
    private readonly runtime: JobRuntime,
    private readonly recorder: ObservationRecorder,
    private readonly clock: Clock,
  ) {}

  /** Throws RuntimeUnavailableError (retry later); permanent failures fail the job and return 'failed'. */
  async launch(jobName: string): Promise<LaunchOutcome> {
    const record = await this.store.getJob(jobName);
    if (!record) return 'gone';
    if (record.status !== JobStatus.Waiting || record.launched) return 'skipped';
    const spec = await this.store.getSpec(jobName);
    if (!spec) return 'gone';
    const payload = spec.hasPayload ? await this.store.getPayload(jobName) : undefined;
    if (spec.hasPayload && payload === undefined) return this.fail(jobName, 'the payload of the job was lost before launch');
    try {
      await this.runtime.launch(spec, payload);
    } catch (error) {
      if (error instanceof PermanentLaunchError) return this.fail(jobName, `the job could not be launched: ${error.message}`);
      throw error;
    }
    const { record: after } = await this.store.update(jobName, (current) => markLaunched(current, this.now()));
    await this.store.dropPayload(jobName);
    if (!after) {
      await this.runtime.remove(jobName);
      return 'gone';
    }
    if (after.status === JobStatus.Stopped && !after.launched) {
      await this.runtime.stop(jobName);
      return 'stopped';
    }
    return 'launched';
  }

  private async fail(jobName: string, message: string): Promise<LaunchOutcome> {
    await this.recorder.record(jobName, { kind: 'failed', at: this.now(), reason: 'LaunchFailed', message });
    return 'failed';
  }

  private now(): string {
    return rfc3339(this.clock.now());
  }
}

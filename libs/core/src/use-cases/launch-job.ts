import { isFinal, JobStatus } from '../job-status';
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
    // Read together: each sequential Redis round trip delays every launch (benchmark 4).
    const [record, spec] = await Promise.all([this.store.getJob(jobName), this.store.getSpec(jobName)]);
    if (!record) return 'gone';
    if (isFinal(record.status) || record.status === JobStatus.Stopping) {
      // Stopped or ended (a retry after a crash between the launch and dropping the payload, or a
      // stop): the job no longer needs its payload, and it must not stay in Redis for good.
      await this.store.dropPayload(jobName);
      return 'skipped';
    }
    if (!spec) return 'gone';
    const payload = spec.hasPayload ? await this.store.getPayload(jobName) : undefined;
    // `launched` is also set by the runtime's first observation, which may come before an attempt
    // has finished (a Kubernetes Job created, its payload Secret not yet): while the payload is still
    // here, the launch is not complete and is carried on (the runtime's launch is idempotent).
    if (record.launched && payload === undefined) return 'skipped';
    if (spec.hasPayload && payload === undefined) return this.fail(jobName, 'the payload of the job was lost before launch');
    try {
      await this.runtime.launch(spec, payload);
    } catch (error) {
      if (error instanceof PermanentLaunchError) return this.fail(jobName, `the job could not be launched: ${error.message}`);
      throw error;
    }
    // The runtime holds the job (and its payload) now: the record and the payload key change together.
    const [{ record: after }] = await Promise.all([
      this.store.update(jobName, (current) => markLaunched(current, this.now())),
      this.store.dropPayload(jobName),
    ]);
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

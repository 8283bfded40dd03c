import { isFinal, JobStatus } from '../job-status';
import type { Clock, JobRuntime, StatusStore } from '../ports';
import { PermanentLaunchError } from '../ports';
import { generationOf, rfc3339 } from '../records';
import { markLaunched } from '../transitions';
import type { ObservationRecorder } from './record-observation';

/** `deferred`: every launch slot (MAX_ACTIVE_JOBS) is taken; the job stays Waiting and the work is to be tried again. */
export type LaunchOutcome = 'launched' | 'skipped' | 'gone' | 'stopped' | 'failed' | 'deferred';

/**
 * Hands one queued run of a job to the runtime, at most once: the record decides whether the job
 * still wants that run, the runtime's launch is idempotent (a worker that dies mid-launch leaves
 * work that another worker retries), and a stop or delete that raced with the launch is undone
 * right after it.
 */
export class JobLauncher {
  constructor(
    private readonly store: StatusStore,
    private readonly runtime: JobRuntime,
    private readonly recorder: ObservationRecorder,
    private readonly clock: Clock,
    /** MAX_ACTIVE_JOBS; undefined: no cap, and no slot is taken. */
    private readonly maxActiveJobs?: number,
  ) {}

  /** Throws RuntimeUnavailableError (retry later); permanent failures fail the job and return 'failed'. */
  async launch(jobName: string, generation = 0): Promise<LaunchOutcome> {
    // Read together: each sequential Redis round trip delays every launch (benchmark 4).
    const [record, spec] = await Promise.all([this.store.getJob(jobName), this.store.getSpec(jobName)]);
    if (!record) return 'gone';
    // Work of an earlier run (the job was restarted since), or a run that was stopped or has ended.
    if (generationOf(record) !== generation || isFinal(record.status) || record.status === JobStatus.Stopping) return 'skipped';
    if (!spec) return 'gone';
    // The slot is taken before anything reaches the runtime; the status write path gives it back
    // when the job's record becomes final (COMPARE_AND_SET), a delete with the record.
    if (this.maxActiveJobs !== undefined) {
      const slot = await this.store.takeSlot({ name: jobName, generation }, this.maxActiveJobs);
      if (slot === 'full') return 'deferred';
      if (slot === 'not-waiting') return 'skipped';
    }
    // The payload stays in Redis (restart and copy need it); a launch that is retried reads it again.
    const payload = spec.hasPayload ? await this.store.getPayload(jobName) : undefined;
    if (spec.hasPayload && payload === undefined) return this.fail(jobName, generation, 'the payload of the job was lost before launch');
    try {
      await this.runtime.launch({ ...spec, generation }, payload);
    } catch (error) {
      if (error instanceof PermanentLaunchError) return this.fail(jobName, generation, `the job could not be launched: ${error.message}`);
      throw error;
    }
    const { record: after, changed } = await this.store.update(jobName, (current) => markLaunched(current, this.now(), generation));
    if (!after) {
      await this.runtime.remove(jobName);
      return 'gone';
    }
    // A stop came while the run was being launched (the job is Stopping, or Stopped already by a
    // stop that found nothing to end yet): end what was launched. A run that has ended is left alone.
    if (generationOf(after) === generation && (after.status === JobStatus.Stopping || (!changed && after.status === JobStatus.Stopped))) {
      await this.runtime.stop(jobName);
      return 'stopped';
    }
    return 'launched';
  }

  private async fail(jobName: string, generation: number, message: string): Promise<LaunchOutcome> {
    await this.recorder.record(jobName, { kind: 'failed', at: this.now(), generation, reason: 'LaunchFailed', message });
    return 'failed';
  }

  private now(): string {
    return rfc3339(this.clock.now());
  }
}

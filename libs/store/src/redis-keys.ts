/**
 * The Redis key layout of the status store. This is a wire contract shared by every process and
 * every version that runs against the same Redis: renaming a key needs a data migration.
 *
 *   rjs:<component>:job:<name>       HASH  doc (JobRecord JSON), rev (write counter), spec (ResolvedJob JSON)
 *   rjs:<component>:payload:<name>   STRING the payload, kept with the record (restart and copy launch it again)
 *   rjs:<component>:batch:<name>     STRING BatchRecord JSON (single jobs have one too, of type job)
 *   rjs:<component>:idx:singles      ZSET  job names of single jobs, scored by creation time (ms)
 *   rjs:<component>:idx:batches      ZSET  batch names (type batch), scored by creation time (ms)
 *   rjs:<component>:idx:unfinished   SET   job names whose status is not final
 *   rjs:<component>:idx:status-counts HASH status -> how many job records hold it (no field at 0)
 *   rjs:<component>:idx:open-batches HASH batch name -> how many of its jobs are not final (no field at 0)
 *   rjs:<component>:idx:finished     ZSET  batch names (single jobs' too) whose jobs are all final, scored
 *                                          by the `ended` (ms) of the job that finished last; retention reads it
 *   rjs:<component>:outbox:dispatch  SET   accepted job names not yet confirmed in the launch queue
 *   rjs:<component>:outbox:cleanup   SET   deleted job names not yet handed to the runtime for removal
 */
export class RedisKeys {
  private readonly prefix: string;

  constructor(component: string) {
    this.prefix = `rjs:${component}:`;
  }

  job(name: string): string {
    return `${this.prefix}job:${name}`;
  }
  payload(name: string): string {
    return `${this.prefix}payload:${name}`;
  }
  batch(name: string): string {
    return `${this.prefix}batch:${name}`;
  }
  get singles(): string {
    return `${this.prefix}idx:singles`;
  }
  get batches(): string {
    return `${this.prefix}idx:batches`;
  }
  get unfinished(): string {
    return `${this.prefix}idx:unfinished`;
  }
  get statusCounts(): string {
    return `${this.prefix}idx:status-counts`;
  }
  get openBatches(): string {
    return `${this.prefix}idx:open-batches`;
  }
  get finished(): string {
    return `${this.prefix}idx:finished`;
  }
  get dispatchOutbox(): string {
    return `${this.prefix}outbox:dispatch`;
  }
  get cleanupOutbox(): string {
    return `${this.prefix}outbox:cleanup`;
  }
}

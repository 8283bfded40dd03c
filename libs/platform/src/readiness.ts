import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => boolean | Promise<boolean>;
/** Returns what is wrong, in words, or undefined when all is well. */
export type ReadinessWarning = () => string | undefined | Promise<string | undefined>;

/** The checks /readyz runs besides the Redis PING; role modules add theirs when they start. */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly warnings = new Map<string, ReadinessWarning>();

  /**
   * Adds a named check to /readyz: the process is ready only while it returns true. A throw counts
   * as false, and its message is shown under the check's name: say there why it is not ready.
   */
  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name) || this.warnings.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, check);
  }

  /**
   * Adds a named condition that /readyz reports (status `degraded`, with a message) without making
   * the process unready: for a degraded state in which the process still does useful work, such as
   * a full status store that refuses new jobs while reads and deletes go on. An unready API pod
   * would be taken out of its Service, and then it could answer nothing at all.
   */
  registerWarning(name: string, warning: ReadinessWarning): void {
    if (this.checks.has(name) || this.warnings.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.warnings.set(name, warning);
  }

  list(): ReadonlyMap<string, ReadinessCheck> {
    return this.checks;
  }

  listWarnings(): ReadonlyMap<string, ReadinessWarning> {
    return this.warnings;
  }
}

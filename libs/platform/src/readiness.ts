import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => boolean | Promise<boolean>;

/** The checks /readyz runs besides the Redis PING; role modules add theirs when they start. */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  /**
   * Adds a named check to /readyz: the process is ready only while it returns true. A throw counts
   * as false, and its message is shown under the check's name: say there why it is not ready.
   */
  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, check);
  }

  list(): ReadonlyMap<string, ReadinessCheck> {
    return this.checks;
  }
}

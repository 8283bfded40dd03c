import type { Logger } from 'pino';

/**
 * Runs a task now and then every `intervalMs`, never two runs at once; a failing run is logged and
 * the next one tries again. stop() waits for a run in progress.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Runs once and resolves when that run ends; later runs follow on the timer. */
  async start(): Promise<void> {
    await this.runOnce();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private runOnce(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.task()
      .then(() => undefined)
      .catch((error) => this.logger.warn({ err: error, task: this.name }, `${this.name} failed; it runs again in ${this.intervalMs} ms`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}

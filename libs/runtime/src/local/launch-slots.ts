interface Waiter {
  /** A waiter that takes the slot; a watcher only learns that one is free. */
  takes: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A cap on jobs running at once. Waiters are served strictly in arrival order, so jobs beyond the
 * cap start in the order they were launched.
 */
export class LaunchSlots {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  private closedWith?: unknown;

  constructor(readonly capacity: number) {}

  get running(): number {
    return this.used;
  }

  /** Waits for a slot and takes it; the returned function gives it back (once, whatever the number of calls). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.enqueue(true, signal);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
      this.pump();
    };
  }

  /** Resolves when a slot is free, in turn with the others waiting, without taking it. */
  whenFree(signal?: AbortSignal): Promise<void> {
    return this.enqueue(false, signal);
  }

  /** Rejects every waiter, now and later. */
  close(error: unknown): void {
    this.closedWith = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private enqueue(takes: boolean, signal?: AbortSignal): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        takes,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.used < this.capacity) {
      const waiter = this.waiters.shift()!;
      if (waiter.takes) this.used++;
      waiter.resolve();
    }
  }
}

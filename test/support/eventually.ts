export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

const POLL_MS = 25;

/**
 * Polls `read` until it returns something truthy, and returns that: for state that changes in the
 * background (a record, a file, a probe's answer). After `timeoutMs` it fails, naming `what` it
 * waited for; a function is called then, so that the message can show the state it last saw.
 */
export async function eventually<T>(read: () => T | Promise<T>, what: string | (() => string), timeoutMs = 20_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

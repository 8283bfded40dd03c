// The part of on-exit-leak-free (pino's own exit hooks; it ships no types) that logging.ts uses.
declare module 'on-exit-leak-free' {
  /** Calls `fn(obj, 'exit')` when the process exits, for as long as `obj` is alive (held weakly). */
  export function register<T extends object>(obj: T, fn: (obj: T, event: 'exit') => void): void;
}

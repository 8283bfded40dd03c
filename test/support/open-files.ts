import { readdirSync, readlinkSync } from 'node:fs';

/** The paths this process has open (Linux: /proc/self/fd), to check that a reader let go of a file. */
export function openPaths(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

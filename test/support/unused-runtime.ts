import type { JobRuntime } from '@rjs/core';

/**
 * A JobRuntime for apps that must never reach a runtime (role api only): any call fails the test
 * loudly instead of launching something.
 */
export function unusedRuntime(): JobRuntime {
  const fail = (method: string) => () => Promise.reject(new Error(`the runtime was called (${method}) but this test expects it never to be`));
  return {
    kind: 'local',
    start: fail('start'),
    launch: fail('launch'),
    stop: fail('stop'),
    remove: fail('remove'),
    has: fail('has'),
    // Shutdown closes the runtime whatever the role.
    close: () => Promise.resolve(),
  };
}

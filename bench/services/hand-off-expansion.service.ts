import { startHandOffWorker, type HandOffExpansion } from '../support/hand-offs';
import { runService } from '../support/service-main';

let expansion: HandOffExpansion | undefined;

/** A worker's part of the API's hand-offs (bench/support/hand-offs.ts) in a process of its own, as a worker runs it. */
runService<{ redisUrl: string }>({
  async start(options) {
    expansion = startHandOffWorker(options.redisUrl);
    return {};
  },
  calls: {
    pending: () => expansion!.pending(),
  },
  async stop() {
    await expansion?.close();
  },
});

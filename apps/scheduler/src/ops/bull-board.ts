import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '@rjs/config';
import { REDACTED, requireBasicAuth } from '@rjs/platform';

export const BULL_BOARD_PATH = '/admin/queues';

export interface BullBoardOptions {
  queues: Queue[];
  /** With credentials the board asks for them and is fully usable; without, it is read-only and hides job data. */
  credentials?: { user: string; password: string };
  title: string;
}

export function bullBoardOptions(config: AppConfig, queues: Queue[]): BullBoardOptions {
  const { user, password } = config.bullBoard;
  return { queues, credentials: user && password ? { user, password } : undefined, title: `${config.component.name} jobs` };
}

/**
 * Mounts Bull Board at /admin/queues in an encapsulated Fastify context, so that the auth hook
 * covers every route below it (pages, API, static files, unknown paths) and nothing else.
 */
export function mountBullBoard(fastify: FastifyInstance, options: BullBoardOptions): void {
  const readOnlyMode = !options.credentials;
  const adapters = options.queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, { readOnlyMode });
    // Work items hold only job names, but nothing stops a future one from holding more.
    if (readOnlyMode) adapter.setFormatter('data', () => REDACTED);
    return adapter;
  });
  const serverAdapter = new FastifyAdapter().setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: adapters, serverAdapter, options: { uiConfig: { boardTitle: options.title, hideDocsLink: true } } });

  fastify.register(
    async (scope) => {
      if (options.credentials) scope.addHook('onRequest', requireBasicAuth(options.credentials, 'Bull Board'));
      scope.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'not found' }));
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: BULL_BOARD_PATH },
  );
}

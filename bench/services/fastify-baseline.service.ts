import Fastify, { type FastifyInstance } from 'fastify';
import { runService } from '../support/service-main';
import { BaselineQueue, type BaselineServiceOptions } from './baseline-queue';

let app: FastifyInstance | undefined;
let queue: BaselineQueue | undefined;

/** The bare baseline: Fastify alone, its JSON body parser and one queue.add. */
runService<BaselineServiceOptions>({
  async start(options) {
    queue = new BaselineQueue(options.redisUrl, options.queueName);
    await queue.ready();
    const baselineQueue = queue;
    app = Fastify({ bodyLimit: options.bodyLimit });
    app.post('/api/v1/jobs', (request) => baselineQueue.add(request.body));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url };
  },
  async stop() {
    await app?.close();
    await queue?.close();
  },
});

import 'reflect-metadata';
import { Body, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { runService } from '../support/service-main';
import { BaselineQueue, type BaselineServiceOptions } from './baseline-queue';

const QUEUE = Symbol('QUEUE');

/** The baseline of the accept benchmarks: NestJS on the same Fastify adapter, body parsing and one queue.add. */
@Controller('api/v1/jobs')
class BaselineJobsController {
  constructor(@Inject(QUEUE) private readonly queue: BaselineQueue) {}

  @Post()
  @HttpCode(200)
  create(@Body() body: unknown) {
    return this.queue.add(body);
  }
}

let app: NestFastifyApplication | undefined;
let queue: BaselineQueue | undefined;

runService<BaselineServiceOptions>({
  async start(options) {
    queue = new BaselineQueue(options.redisUrl, options.queueName);
    await queue.ready();
    @Module({ controllers: [BaselineJobsController], providers: [{ provide: QUEUE, useValue: queue }] })
    class BaselineModule {}
    app = await NestFactory.create<NestFastifyApplication>(BaselineModule, new FastifyAdapter({ bodyLimit: options.bodyLimit }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('no TCP port');
    return { url: `http://127.0.0.1:${address.port}` };
  },
  async stop() {
    await app?.close();
    await queue?.close();
  },
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyBodyParser } from 'fastify';
import type { AppConfig } from '@rjs/config';
import { LOGGER, Metrics } from '@rjs/platform';
import type { Logger } from '@rjs/platform';
import { ApiExceptionFilter } from './api-exception.filter';
import { refuseForeignOrigins } from './origin-check';
import type * as OpenApiFile from './openapi';

/** List routes that the original also serves with a trailing slash (Nest strips it from route paths). */
const TRAILING_SLASH_TWINS = new Set(['/api/v1/jobs', '/api/v1/batches']);

/** Global HTTP setup: body parsing, the exception filter, the OpenAPI document and UI. */
export function configureHttp(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  // First, so that a refused request is not parsed or routed.
  refuseForeignOrigins(app, config.http.allowedOrigins);
  // Registers `GET /api/v1/jobs/` beside `GET /api/v1/jobs` when Nest adds the latter. The twin's
  // URL is not in the set, so the hook does not loop on its own route.
  fastify.addHook('onRoute', function (route) {
    if (route.method === 'GET' && TRAILING_SLASH_TWINS.has(route.url)) this.route({ ...route, url: `${route.url}/` });
  });
  // Every body is read as JSON whatever its Content-Type, as the original does (`curl -d` sends a
  // form type, fetch text/plain); an empty body stands for no body (POST /jobs: all defaults).
  const json = fastify.getDefaultJsonParser('error', 'error');
  const parseJson: FastifyBodyParser<Buffer> = (request, body, done) => {
    const text = body.toString('utf8');
    if (text.trim() === '') done(null, undefined);
    else json(request, text, done);
  };
  app.useBodyParser(['application/json', 'text/plain', '*'], { bodyLimit: config.maxBodyBytes }, parseJson);

  const metrics = app.get(Metrics);
  app.useGlobalFilters(new ApiExceptionFilter(app.get<Logger>(LOGGER), config.maxBodyBytes, () => metrics.countStoreFull()));

  // Required only for the api role: @nestjs/swagger's document builder and UI are no use to the others.
  if (config.roles.includes('api')) (require('./openapi') as typeof OpenApiFile).setupOpenApi(app, config);
}

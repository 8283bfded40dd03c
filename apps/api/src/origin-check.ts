import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failureBody } from './api-exception.filter';
import { isConsoleUrl } from './console/console-path';

/**
 * Refuses every request that carries an Origin header not in ALLOWED_ORIGINS, with 403 and the
 * Status body, before routing or body parsing. Browsers send Origin on cross-origin requests (and
 * on same-origin ones other than GET/HEAD); the components that call the API do not. Without this
 * a web page could POST jobs: the API reads any Content-Type as JSON, so a "simple" request needs
 * no preflight. Same-origin is not let through on its own: under DNS rebinding a hostile page
 * shares this server's origin. It is for the service's own pages' reads (GET and HEAD, which change
 * nothing; Chrome sends Origin on same-origin module scripts) and for anything under /console,
 * whose actions need the console's credentials, which a rebinding page lacks. Listed origins also get CORS answers (@fastify/cors, which
 * @nestjs/platform-fastify brings) so their pages can read the answers and send JSON.
 */
export function refuseForeignOrigins(app: NestFastifyApplication, allowedOrigins: readonly string[]): void {
  const allowed = new Set(allowedOrigins);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const origin = request.headers.origin;
      if (origin === undefined || allowed.has(origin) || isOwnPageRequest(request, origin)) return done();
      void reply
        .status(403)
        .header('content-type', 'application/json; charset=utf-8')
        // Repeated Origin headers arrive joined; quote what came, cut to a sane length.
        .send(failureBody(403, `requests from web pages are refused: the Origin ${JSON.stringify(String(origin).slice(0, 200))} is not in ALLOWED_ORIGINS`));
    });
  if (allowed.size) app.enableCors({ origin: [...allowed] });
}

/** A request of one of the service's own pages (Origin is this very host) that is safe to serve; see above. */
function isOwnPageRequest(request: FastifyRequest, origin: string): boolean {
  const host = request.headers.host;
  if (!host || (origin !== `http://${host}` && origin !== `https://${host}`)) return false;
  if (request.method === 'GET' || request.method === 'HEAD') return true;
  return isConsoleUrl(request.url);
}

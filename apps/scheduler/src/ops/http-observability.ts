import type { FastifyInstance } from 'fastify';
import type { Logger } from '@rjs/platform';
import type { Metrics } from '@rjs/platform';

/** Probes and scrapes arrive every few seconds; their access log lines are debug so they do not drown the rest. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One access log line and one duration sample per request. Bodies and headers are never logged.
 * Unmatched paths share one route label so that scanners cannot blow up the label set.
 */
export function observeHttp(fastify: FastifyInstance, metrics: Metrics, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = reply.elapsedTime;
    metrics.observeHttpRequest(request.method, route, reply.statusCode, durationMs / 1000);
    const level = QUIET_ROUTES.has(route) ? 'debug' : 'info';
    logger[level](
      {
        req: { method: request.method, url: request.url, route, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTimeMs: Math.round(durationMs * 10) / 10,
      },
      'request completed',
    );
    done();
  });
}

import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '@rjs/config';
import { APP_CONFIG, type OperatorCredentials, requireBasicAuth } from '@rjs/platform';
import { failureBody } from '../api-exception.filter';
import { CONSOLE_PATH, isConsoleUrl } from './console-path';

export { CONSOLE_PATH };

/** Where the console sends its actions: the /api/v1 routes, forwarded (see forwardActions). */
export const CONSOLE_ACTIONS = `${CONSOLE_PATH}/api/v1`;

/** The page, its scripts and styles: shipped in the repository, nothing fetched from elsewhere. */
export const CONSOLE_ASSETS = join(__dirname, 'assets');

/** Style attributes draw the bars (their widths); everything else comes from the service itself. */
export const CONSOLE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'";

/** Bull Board's credentials; without them the console is read-only and hides payloads and variable values. */
export function consoleCredentials(config: AppConfig): OperatorCredentials | undefined {
  const { user, password } = config.bullBoard;
  return user && password ? { user, password } : undefined;
}

/** Every request that reaches the console's routes has signed in when credentials are set (the hook below). */
export const consoleSignedIn = (config: AppConfig) => consoleCredentials(config) !== undefined;

/**
 * Serves the console's files at /console/ and guards everything under /console (the files and the
 * ConsoleController's routes) with Bull Board's Basic auth when its credentials are set.
 */
@Injectable()
export class ConsoleHttp implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const credentials = consoleCredentials(this.config);
    if (credentials) {
      // A root hook with a path test rather than an encapsulated scope: Nest registers the
      // controller's routes on the root instance, outside any scope of ours.
      const authenticate = requireBasicAuth(credentials, 'Job console');
      fastify.addHook('onRequest', async (request, reply) => (isConsoleUrl(request.url) ? authenticate(request, reply) : undefined));
    }
    fastify.register(async (scope) => {
      await scope.register(fastifyStatic, {
        root: CONSOLE_ASSETS,
        prefix: `${CONSOLE_PATH}/`,
        decorateReply: false,
        index: 'index.html',
        // The browser itself holds the page to this service: nothing loaded or sent elsewhere, no framing.
        setHeaders: (reply) => reply.header('content-security-policy', CONSOLE_CSP),
      });
      // The page's relative URLs resolve under /console/ (the plugin's `redirect` covers its folders, not its prefix).
      scope.get(CONSOLE_PATH, (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`));
    });
    this.forwardActions(fastify, credentials !== undefined);
  }

  /**
   * The console's actions (POST and DELETE) go to /console/api/v1/..., which answers exactly as
   * /api/v1/... does (forwarded in-process): they stay under /console, behind its credentials, so
   * the Origin check can let the console's own page through there while refusing same-origin
   * writes to /api/v1 itself (a page reached by DNS rebinding shares the origin, not the
   * credentials). Read-only (no credentials set), they are refused.
   */
  private forwardActions(fastify: FastifyInstance, signedIn: boolean): void {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!signedIn) {
        return reply
          .status(403)
          .header('content-type', 'application/json; charset=utf-8')
          .send(failureBody(403, 'the console is read-only: set BULL_BOARD_USER and BULL_BOARD_PASSWORD to act from it'));
      }
      const answer = await fastify.inject({
        method: request.method as 'POST' | 'DELETE',
        url: request.url.slice(CONSOLE_ACTIONS.length - '/api/v1'.length),
        ...(request.body === undefined || request.body === null ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(request.body) }),
      });
      return reply.status(answer.statusCode).header('content-type', answer.headers['content-type'] ?? 'application/json; charset=utf-8').send(answer.body);
    };
    fastify.post(`${CONSOLE_ACTIONS}/*`, handler);
    fastify.delete(`${CONSOLE_ACTIONS}/*`, handler);
  }
}

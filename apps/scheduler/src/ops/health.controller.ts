import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { RedisClient } from '@rjs/store';
import { REDIS } from '@rjs/platform';
import { Readiness } from '@rjs/platform';

/** A check that hangs counts as failed: a probe must answer well within the kubelet's timeout. */
const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Kubernetes probes. Liveness says only that the process answers HTTP (a restart does not cure a
 * Redis outage); readiness says it can do its work: Redis answers and every registered check passes.
 * Registered warnings show in the body (status `degraded`, with a message) and leave the process ready.
 */
@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  @Get('healthz')
  liveness(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.run(reply, []);
  }

  @Get('readyz')
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const redis = this.indicators
      .check('redis')
      .attempt(async () => {
        await this.redis.ping();
      })
      .withTimeout(CHECK_TIMEOUT_MS);
    const registered = [...this.readiness.list()].map(([name, check]) =>
      this.indicators
        .check(name)
        .attempt(async () => {
          if (!(await check())) throw new Error('not ready');
        })
        .withTimeout(CHECK_TIMEOUT_MS),
    );
    // A warning is terminus's `degraded`: reported in the body, and the answer stays 200. One that
    // cannot be evaluated (Redis down, too slow) says so, and the checks above decide readiness.
    const warnings = [...this.readiness.listWarnings()].map(([name, warning]) => async () => {
      const indicator = this.indicators.check(name);
      try {
        const message = await withTimeout(Promise.resolve(warning()), CHECK_TIMEOUT_MS);
        return message ? indicator.degraded({ message }) : indicator.up();
      } catch (error) {
        return indicator.degraded({ message: `could not be checked: ${(error as Error).message}` });
      }
    });
    return this.run(reply, [redis, ...registered, ...warnings]);
  }

  /** Answers terminus's body with 503 here, so that no global exception filter reshapes it. */
  private async run(reply: FastifyReply, checks: HealthIndicatorFunction[]) {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse();
    }
  }
}

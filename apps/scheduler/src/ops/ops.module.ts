import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { Metrics } from '@rjs/platform';
import { MetricsController } from './metrics.controller';
import { OpsHttp } from './ops-http';
import { Readiness } from '@rjs/platform';

/**
 * Operating the service, in every role: /healthz, /readyz, /metrics, Bull Board at /admin/queues
 * and the access log. Global, so that role modules can register readiness checks and feed metrics.
 */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController, MetricsController],
  providers: [Readiness, Metrics, OpsHttp],
  exports: [Readiness, Metrics],
})
export class OpsModule {}

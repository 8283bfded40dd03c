import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@rjs/config';

/** Global HTTP setup: exception filter, OpenAPI document and UI. (Being built.) */
export function configureHttp(app: NestFastifyApplication, config: AppConfig): void {
  void app;
  void config;
}

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@rjs/config';
import { BatchScheduleDescriptionDto, CopyRequestDto, JobScheduleDescriptionDto, RadixJobComponentConfigDto } from '@rjs/contracts';
import { BatchStatusDto, JobStatusDto, PodStatusDto, StatusDto } from './dto/status-responses.dto';

export const SWAGGER_UI_PATH = 'swagger';
export const SWAGGER_JSON_PATH = '/swagger/json';

export function buildOpenApiDocument(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('Radix job scheduler')
    .setDescription(
      `The job manager of the job component "${config.component.name}": create, list, stop, restart, copy and delete its jobs and batches. ` +
        'Compatible with the Radix job-scheduler API.',
    )
    .setVersion('v1')
    .build();
  return SwaggerModule.createDocument(app, info, {
    extraModels: [JobScheduleDescriptionDto, BatchScheduleDescriptionDto, RadixJobComponentConfigDto, CopyRequestDto, JobStatusDto, BatchStatusDto, PodStatusDto, StatusDto],
  });
}

/** The UI at /swagger and the document at /swagger/json. */
export function setupOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  SwaggerModule.setup(SWAGGER_UI_PATH, app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: SWAGGER_JSON_PATH,
    yamlDocumentUrl: '/swagger/yaml',
    customSiteTitle: 'Radix job scheduler API',
  });
}

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@rjs/config';
import { BatchScheduleDescriptionDto, CopyRequestDto, JobScheduleDescriptionDto, RadixJobComponentConfigDto } from '@rjs/contracts';
import { BatchStatusDto, JobStatusDto, PodStatusDto, StatusDto } from './dto/status-responses.dto';
import { NotificationDto } from './dto/status-responses.dto';
import { QueueEntryDto } from './queue.controller';

export const SWAGGER_UI_PATH = 'swagger';
export const SWAGGER_JSON_PATH = '/swagger/json';

export function buildOpenApiDocument(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('Radix job scheduler')
    .setDescription(
      `The job manager of the job component "${config.component.name}": create, list, stop, restart, copy and delete its jobs and batches. ` +
        'Compatible with the Radix job-scheduler API. Extensions, which a client of the original may ignore: `priority` on job options and job statuses, ' +
        '`queuePosition` on a Waiting job, the `Idempotency-Key` header of the create routes, and GET /api/v1/queue.',
    )
    .setVersion('v1')
    .build();
  const document = SwaggerModule.createDocument(app, info, {
    extraModels: [JobScheduleDescriptionDto, BatchScheduleDescriptionDto, RadixJobComponentConfigDto, CopyRequestDto, JobStatusDto, BatchStatusDto, PodStatusDto, StatusDto, NotificationDto, QueueEntryDto],
  });
  return withOriginRefusal(document);
}

/** Every operation may answer 403: a request with an Origin header not in ALLOWED_ORIGINS (origin-check.ts). */
function withOriginRefusal(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.put, item.post, item.delete, item.options, item.head, item.patch]) {
      if (!operation || operation.responses['403']) continue;
      operation.responses['403'] = {
        description: 'The request carries an Origin header (it comes from a web page) that is not listed in ALLOWED_ORIGINS.',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } },
      };
    }
  }
  return document;
}

/** The UI at /swagger and the document at /swagger/json. */
export function setupOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  SwaggerModule.setup(SWAGGER_UI_PATH, app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: SWAGGER_JSON_PATH,
    yamlDocumentUrl: '/swagger/yaml',
    customSiteTitle: 'Radix job scheduler API',
  });
}

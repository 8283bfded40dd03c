import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsMatching } from './rules';

/** A Docker image tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const MAX_IMAGE_TAG_LENGTH = 128;

/** The optional body of a copy (POST /jobs/{jobName}/copy, /batches/{batchName}/copy). */
@ApiSchema({ name: 'CopyRequest', description: 'Options of a copy; an empty body copies the jobs as they are.' })
export class CopyRequestDto {
  @ApiPropertyOptional({ description: 'Replaces the image tag of every job copied.', example: '1.2.0', maxLength: MAX_IMAGE_TAG_LENGTH })
  @IsOptional()
  @IsMatching(IMAGE_TAG, MAX_IMAGE_TAG_LENGTH, 'an image tag: letters, digits, _, . and -, not starting with . or -')
  imageTagName?: string;
}

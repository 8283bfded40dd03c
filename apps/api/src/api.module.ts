import { Module } from '@nestjs/common';

/** The HTTP API role. (Being built.) */
@Module({})
export class ApiModule {}

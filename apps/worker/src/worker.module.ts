import { Module } from '@nestjs/common';

/** The worker role: BullMQ processors for launch, stop and remove work. (Being built.) */
@Module({})
export class WorkerModule {}

import { Module } from '@nestjs/common';

/** The watcher role: follows the runtime and records what it observes. (Being built.) */
@Module({})
export class WatcherModule {}

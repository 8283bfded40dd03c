export * from './queue-names';
export * from './bullmq-work-queue';

export * from './queue-names';
export * from './bullmq-work-queue';
export * from './bullmq-notification-queue';

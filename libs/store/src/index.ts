export * from './redis-keys';
export * from './redis-status-store';
export * from './redis-memory';
export * from './redis-connection';
export * from './key-migration';
export * from './redis-notifications';

export * from './redis-keys';
export * from './redis-status-store';
export * from './redis-memory';

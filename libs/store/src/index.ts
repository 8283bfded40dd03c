export * from './redis-keys';
export * from './redis-status-store';

export * from './config';
export * from './radix-config';

export * from './kubernetes';
export * from './local';

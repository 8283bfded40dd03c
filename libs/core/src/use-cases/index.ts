export * from './accept-jobs';
export * from './job-queries';
export * from './stop-jobs';
export * from './delete-jobs';
export * from './record-observation';
export * from './launch-job';
export * from './control-job';
export * from './recovery';

export * from './data-source';
export * from './test-database';

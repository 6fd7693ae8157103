export * from './data-source';
export * from './test-database';
export * from './own-postgres';
export * from './values';
export * from './db-roles';

export * from './build';
export * from './cpu-profile';
export * from './infra';
export * from './platform';
export * from './proc-stats';
export * from './process';
export * from './services';
export * from './service';

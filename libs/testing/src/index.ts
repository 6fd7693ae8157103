export * from './wait';
export * from './infra';
export * from './run-script';

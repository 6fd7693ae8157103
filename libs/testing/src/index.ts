export * from './wait';
export * from './infra';

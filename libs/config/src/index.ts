export * from './env';
export * from './dev-mode';
export * from './kafka-credentials';
export * from './redis-credentials';

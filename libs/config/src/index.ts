export * from './env';
export * from './dev-mode';

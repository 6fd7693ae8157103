// Test and benchmark helpers (real servers); not part of the runtime entry point.
export * from './harness';
export * from './helpers';
export * from './repeated-facts';

// First: when tracing is on, the HTTP instrumentation must patch `http` before Nest and Express load it.
import './tracing-preload';

export * from './audit';
export * from './body';
export * from './bootstrap';
export * from './client-error';
export * from './correlation';
export * from './errors';
export * from './heap';
export * from './health';
export * from './input';
export * from './logging';
export * from './migrate-command';
export * from './metrics';
export * from './redis';
export * from './zod';
export * from './database';
export * from './drain';
export * from './platform';
export * from './timers';
export * from './audit-trail';
export * from './audit-trail.module';
export * from './secret-box';
export * from './tracing';

export * from './form-schema';

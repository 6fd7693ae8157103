export * from './citizen';
export * from './personal-id';
export * from './generator';
export * from './matching';
export * from './prefill';

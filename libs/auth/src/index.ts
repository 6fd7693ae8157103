export * from './claims';
export * from './verifier';
export * from './guard';

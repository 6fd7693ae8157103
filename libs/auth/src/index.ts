export * from './claims';
export * from './verifier';
export * from './guard';
export * from './token-cache';

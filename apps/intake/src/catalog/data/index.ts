export * from './types';
export { areas } from './areas';
export { feeExemptions } from './fee-exemptions';
export { procedures } from './procedures';
export * from '../../admin-units/data';

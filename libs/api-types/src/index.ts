export type * from './dossiers';
export type * from './dead-letters';

/** Injection token of the simulator's frozen config. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

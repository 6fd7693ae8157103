/** Injection token of the service's frozen config. */
export const METRICS_CONFIG = Symbol('METRICS_CONFIG');

/** Injection token of the clock ("overdue now" and the snapshot period depend on it; tests replace it). */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Injection token of the root pino logger (audit lines). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

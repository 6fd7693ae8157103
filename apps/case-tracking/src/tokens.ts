/** Injection token of the service's frozen config. */
export const CASE_CONFIG = Symbol('CASE_CONFIG');

/** Injection token of the clock (tests of time-dependent rules replace it). */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Injection token of the root pino logger (audit lines). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Injection token of the working-day calendar (holidays loaded from data at start-up). */
export const CALENDAR = Symbol('CALENDAR');

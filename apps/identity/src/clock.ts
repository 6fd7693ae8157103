/** Time as the service sees it: injected, so tests can move it (OTP expiry, lockouts, refresh expiry). */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };

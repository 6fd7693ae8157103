/** The service's root pino logger, for audit lines and handlers outside a request's logger. */
export const APP_LOGGER = Symbol('APP_LOGGER');

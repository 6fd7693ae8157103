import { infraEnvSchema, parseEnv } from '@hoso/config';

/** The servers the global set-up made sure of. */
export const testEnv = parseEnv(infraEnvSchema);

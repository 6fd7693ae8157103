import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { TOKEN_ALGORITHM, TOKEN_TYPES } from '@hoso/auth';
import { PREFILL_SOURCES, type PrefillSource } from '../../catalog/data/types';

export const PREFILL_ISSUER = 'hoso-identity';
export const PREFILL_AUDIENCE = 'hoso-prefill';

const prefillClaims = z.looseObject({
  sub: z.string().min(1),
  pid: z.string().regex(/^\d{12}$/),
  values: z.partialRecord(z.enum(PREFILL_SOURCES), z.string()),
});

export interface PrefillGrant {
  personalId: string;
  values: Partial<Record<PrefillSource, string>>;
}

export class InvalidPrefillToken extends Error {}

/**
 * Verifies the identity service's signed prefill token (registry values for the citizen's e-form), against the
 * same published keys as access tokens but a separate audience, so one can never be used as the other.
 */
export class PrefillVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(jwksUrl: string) {
    this.keys = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 3000 });
  }

  async verify(token: string): Promise<PrefillGrant> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: PREFILL_ISSUER,
        audience: PREFILL_AUDIENCE,
        // As for access tokens: identity's one algorithm, its typ for prefill grants, and an expiry.
        algorithms: [TOKEN_ALGORITHM],
        typ: TOKEN_TYPES.prefill,
        requiredClaims: ['exp', 'iat'],
        clockTolerance: 5,
      }));
    } catch (e) {
      throw new InvalidPrefillToken(e instanceof Error ? e.message : 'invalid token');
    }
    const claims = prefillClaims.safeParse(payload);
    if (!claims.success) throw new InvalidPrefillToken('claims pid and values are required');
    return { personalId: claims.data.pid, values: claims.data.values };
  }
}

export const PREFILL_VERIFIER = Symbol('PREFILL_VERIFIER');

import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { PREFILL_TOKEN_AUDIENCE, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_TYPES, type AccessClaims } from '@hoso/auth';
import { CLOCK, type Clock } from '../clock';
import { CONFIG } from '../core';
import type { Config } from '../config';
import type { PrefillSource } from '@hoso/population';
import { SIGNING_ALG, SigningKeyStore } from './signing-key.store';

export const PREFILL_AUDIENCE = PREFILL_TOKEN_AUDIENCE;
export const PREFILL_TOKEN_TTL_SEC = 2 * 3600;

/**
 * Signs the service's JWTs (access and prefill tokens) with the current key, timed by the injected clock. Each kind
 * carries its own `typ` header and audience, so no verifier takes one kind for the other.
 */
@Injectable()
export class TokenSigner {
  constructor(
    @Inject(SigningKeyStore) private readonly keys: SigningKeyStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  get accessTokenTtlSec(): number {
    return this.config.ACCESS_TOKEN_TTL_SEC;
  }

  accessToken(claims: AccessClaims): Promise<string> {
    return this.sign({ ...claims }, TOKEN_TYPES.access, TOKEN_AUDIENCE, this.config.ACCESS_TOKEN_TTL_SEC);
  }

  prefillToken(sub: string, pid: string, values: Partial<Record<PrefillSource, string>>): Promise<string> {
    return this.sign({ sub, pid, values }, TOKEN_TYPES.prefill, PREFILL_AUDIENCE, PREFILL_TOKEN_TTL_SEC);
  }

  private sign(
    claims: Record<string, unknown> & { sub: string },
    typ: string,
    audience: string,
    ttlSec: number,
  ): Promise<string> {
    const { kid, key } = this.keys.signingKey();
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(audience)
      .setSubject(claims.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSec)
      .sign(key);
  }
}

import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import {
  accessClaims,
  toAuthUser,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  TOKEN_TYPES,
  type AuthUser,
} from './claims';
import { VerifiedTokenCache } from './token-cache';

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface VerifierOptions {
  /** The identity service's JWKS (`…/.well-known/jwks.json`), or a key set held in memory (identity itself, tests). */
  jwks: string | JSONWebKeySet | JWTVerifyGetKey;
  issuer?: string;
  audience?: string;
  /** Accepted clock skew between services, seconds. */
  clockToleranceSec?: number;
  /**
   * Verified tokens kept in memory (see VerifiedTokenCache): default 10,000 entries for at most 5 minutes each and
   * never past the token's `exp`; `false` verifies every time. `now` (ms) is for tests.
   */
  cache?: false | { maxEntries?: number; maxAgeMs?: number; now?: () => number };
}

/**
 * Verifies hoso access tokens against the identity service's published keys: EdDSA only (the one algorithm identity
 * signs with), `typ` at+jwt (not a prefill or any other token), issuer and audience, and `exp` and `iat` present.
 */
export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly cache: VerifiedTokenCache<AuthUser> | null;

  constructor(private readonly opts: VerifierOptions) {
    this.cache =
      opts.cache === false
        ? null
        : new VerifiedTokenCache<AuthUser>(opts.cache?.maxEntries, opts.cache?.maxAgeMs, opts.cache?.now);
    this.keys =
      typeof opts.jwks === 'string'
        ? // Cached; refetched when a token names an unknown key id (key rotation), at most every 30 s.
          createRemoteJWKSet(new URL(opts.jwks), {
            cooldownDuration: 30_000,
            cacheMaxAge: 10 * 60_000,
            timeoutDuration: 3000,
          })
        : typeof opts.jwks === 'function'
          ? opts.jwks
          : createLocalJWKSet(opts.jwks);
  }

  async verify(token: string): Promise<AuthUser> {
    const cached = this.cache?.get(token);
    // A copy: a caller that changes its user must not change what the next request of the token gets.
    if (cached) return { ...cached };
    let payload: { exp?: number } & Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.opts.issuer ?? TOKEN_ISSUER,
        audience: this.opts.audience ?? TOKEN_AUDIENCE,
        algorithms: [TOKEN_ALGORITHM],
        typ: TOKEN_TYPES.access,
        // Identity sets all three; a token without an expiry would be valid for ever.
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: this.opts.clockToleranceSec ?? 5,
      }));
    } catch (e) {
      throw new InvalidTokenError(e instanceof Error ? e.message : 'invalid token');
    }
    const claims = accessClaims.safeParse(payload);
    if (!claims.success)
      throw new InvalidTokenError(`token claims: ${claims.error.issues.map((i) => i.message).join('; ')}`);
    const user = toAuthUser(claims.data);
    this.cache?.set(token, { ...user }, payload.exp);
    return user;
  }
}

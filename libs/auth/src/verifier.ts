import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { accessClaims, toAuthUser, TOKEN_AUDIENCE, TOKEN_ISSUER, type AuthUser } from './claims';

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
}

/** Verifies hoso access tokens (EdDSA or RS256) against the identity service's published keys. */
export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly opts: VerifierOptions) {
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
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.opts.issuer ?? TOKEN_ISSUER,
        audience: this.opts.audience ?? TOKEN_AUDIENCE,
        algorithms: ['EdDSA', 'RS256'],
        clockTolerance: this.opts.clockToleranceSec ?? 5,
      }));
    } catch (e) {
      throw new InvalidTokenError(e instanceof Error ? e.message : 'invalid token');
    }
    const claims = accessClaims.safeParse(payload);
    if (!claims.success)
      throw new InvalidTokenError(`token claims: ${claims.error.issues.map((i) => i.message).join('; ')}`);
    return toAuthUser(claims.data);
  }
}

import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_TYPES } from './claims';
import { VerifiedTokenCache } from './token-cache';
import { InvalidTokenError, JwtVerifier } from './verifier';

const START = Date.parse('2026-12-01T08:00:00Z');

describe('JwtVerifier with its verified-token cache', () => {
  let sign: (sub: string, expSec: number, audience?: string) => Promise<string>;
  let localKeys: JWTVerifyGetKey;
  let keyLookups: number;
  const countingKeys: JWTVerifyGetKey = (header, token) => {
    keyLookups++;
    return localKeys(header, token);
  };

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    localKeys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
    sign = (sub, expSec, audience = TOKEN_AUDIENCE) =>
      new SignJWT({ role: 'operator' })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: TOKEN_TYPES.access })
        .setSubject(sub)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(audience)
        .setIssuedAt(Math.floor(Date.now() / 1000))
        .setExpirationTime(expSec)
        .sign(privateKey);
  });

  beforeEach(() => {
    keyLookups = 0;
    // Only the wall clock is faked (jose reads it for exp); promises and timers run as usual.
    jest.useFakeTimers({
      now: START,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  const at = (ms: number) => {
    jest.setSystemTime(START + ms);
  };

  it('checks a token once and answers again from memory until its exp, never after', async () => {
    const verifier = new JwtVerifier({ jwks: countingKeys, clockToleranceSec: 5 });
    const token = await sign('operator:1', START / 1000 + 60);
    expect(await verifier.verify(token)).toEqual({ sub: 'operator:1', role: 'operator' });
    at(50_000);
    expect(await verifier.verify(token)).toEqual({ sub: 'operator:1', role: 'operator' });
    expect(keyLookups).toBe(1);
    // Past exp (and the accepted skew) the token is checked again, and refused.
    at(70_000);
    await expect(verifier.verify(token)).rejects.toThrow(InvalidTokenError);
    expect(keyLookups).toBe(2);
  });

  it('checks again after maxAgeMs even when exp is later, and keeps no refusal', async () => {
    const verifier = new JwtVerifier({ jwks: countingKeys, cache: { maxAgeMs: 60_000 } });
    const token = await sign('operator:1', START / 1000 + 3600);
    await verifier.verify(token);
    at(59_000);
    await verifier.verify(token);
    expect(keyLookups).toBe(1);
    at(61_000);
    await verifier.verify(token);
    expect(keyLookups).toBe(2);
    const foreign = await sign('operator:1', START / 1000 + 3600, 'another-audience');
    await expect(verifier.verify(foreign)).rejects.toThrow(InvalidTokenError);
    await expect(verifier.verify(foreign)).rejects.toThrow(InvalidTokenError);
    expect(keyLookups).toBe(4);
  });

  it('hands out copies: changing one user does not change the next answer', async () => {
    const verifier = new JwtVerifier({ jwks: countingKeys });
    const token = await sign('operator:1', START / 1000 + 60);
    const first = await verifier.verify(token);
    first.role = 'citizen';
    const second = await verifier.verify(token);
    second.sub = 'changed';
    expect(await verifier.verify(token)).toEqual({ sub: 'operator:1', role: 'operator' });
  });

  it('keeps at most maxEntries tokens, dropping the least recently used', async () => {
    const verifier = new JwtVerifier({ jwks: countingKeys, cache: { maxEntries: 3 } });
    const tokens = await Promise.all([1, 2, 3, 4].map((i) => sign(`operator:${i}`, START / 1000 + 60)));
    const [t1, t2, t3, t4] = tokens as [string, string, string, string];
    for (const t of [t1, t2, t3]) await verifier.verify(t);
    await verifier.verify(t1); // t1 used again: t2 is now the least recently used
    expect(keyLookups).toBe(3);
    await verifier.verify(t4);
    expect(keyLookups).toBe(4);
    for (const t of [t1, t3, t4]) await verifier.verify(t);
    expect(keyLookups).toBe(4);
    await verifier.verify(t2);
    expect(keyLookups).toBe(5);
  });
});

describe('JwtVerifier: what it accepts', () => {
  const now = () => Math.floor(Date.now() / 1000);
  let edKey: KeyLike;
  let rsaKey: KeyLike;
  let verifier: JwtVerifier;

  interface Shape {
    alg?: string;
    kid?: string;
    /** null: no typ header. */
    typ?: string | null;
    iss?: string;
    aud?: string;
    /** null: no such claim. */
    iat?: number | null;
    exp?: number | null;
  }

  /** A token like identity's access tokens, with one thing changed. */
  const token = (shape: Shape = {}): Promise<string> => {
    const alg = shape.alg ?? 'EdDSA';
    const typ = shape.typ === undefined ? TOKEN_TYPES.access : shape.typ;
    const jwt = new SignJWT({ role: 'operator' })
      .setProtectedHeader({ alg, kid: shape.kid ?? (alg === 'EdDSA' ? 'ed' : 'rsa'), ...(typ === null ? {} : { typ }) })
      .setSubject('operator:1')
      .setIssuer(shape.iss ?? TOKEN_ISSUER)
      .setAudience(shape.aud ?? TOKEN_AUDIENCE);
    const iat = shape.iat === undefined ? now() : shape.iat;
    const exp = shape.exp === undefined ? now() + 900 : shape.exp;
    if (iat !== null) jwt.setIssuedAt(iat);
    if (exp !== null) jwt.setExpirationTime(exp);
    return jwt.sign(alg === 'EdDSA' ? edKey : rsaKey);
  };

  beforeAll(async () => {
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const rsa = await generateKeyPair('RS256', { modulusLength: 2048 });
    edKey = ed.privateKey;
    rsaKey = rsa.privateKey;
    // The key set holds an RSA key too: the algorithm must be refused by the verifier, not by a missing key.
    const keys = createLocalJWKSet({
      keys: [
        { ...(await exportJWK(ed.publicKey)), kid: 'ed', alg: 'EdDSA' },
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' },
      ],
    });
    verifier = new JwtVerifier({ jwks: keys, cache: false });
  });

  it('accepts a token shaped like identity access tokens', async () => {
    expect(await verifier.verify(await token())).toEqual({ sub: 'operator:1', role: 'operator' });
  });

  it('accepts typ in its media-type form (application/at+jwt), which means the same', async () => {
    expect(await verifier.verify(await token({ typ: 'application/at+jwt' }))).toMatchObject({ sub: 'operator:1' });
  });

  it('refuses RS256, even signed by a key of the published set', async () => {
    await expect(verifier.verify(await token({ alg: 'RS256' }))).rejects.toThrow(/"alg" .* not allowed/);
  });

  it.each([
    ['no typ', { typ: null }],
    ['typ JWT', { typ: 'JWT' }],
    ['a prefill token', { typ: TOKEN_TYPES.prefill }],
  ] as const)('refuses %s', async (_, shape) => {
    await expect(verifier.verify(await token(shape))).rejects.toThrow(/unexpected "typ"/);
  });

  it('refuses a token without exp, or without iat', async () => {
    await expect(verifier.verify(await token({ exp: null }))).rejects.toThrow(/"exp"/);
    await expect(verifier.verify(await token({ iat: null }))).rejects.toThrow(/"iat"/);
  });

  it('refuses another issuer or audience, and an expired token', async () => {
    await expect(verifier.verify(await token({ iss: 'someone-else' }))).rejects.toThrow(/"iss"/);
    await expect(verifier.verify(await token({ aud: 'hoso-prefill' }))).rejects.toThrow(/"aud"/);
    await expect(verifier.verify(await token({ iat: now() - 120, exp: now() - 60 }))).rejects.toThrow(/"exp"/);
  });
});

describe('VerifiedTokenCache', () => {
  it('never holds more than maxEntries, and skips tokens without exp or already expired', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache<number>(10_000, 60_000, () => now);
    for (let i = 0; i < 10_050; i++) cache.set(`t${i}`, i, now / 1000 + 30);
    expect(cache.size).toBe(10_000);
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get('t10049')).toBe(10_049);
    cache.set('no-exp', 1, undefined);
    cache.set('expired', 1, now / 1000 - 1);
    expect(cache.get('no-exp')).toBeUndefined();
    expect(cache.get('expired')).toBeUndefined();
    now += 30_000;
    expect(cache.get('t10049')).toBeUndefined();
  });
});

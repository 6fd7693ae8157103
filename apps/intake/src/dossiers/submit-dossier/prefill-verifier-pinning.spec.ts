import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  base64url,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWK,
  type KeyLike,
} from 'jose';
import { TOKEN_TYPES } from '@hoso/auth';
import { InvalidPrefillToken, PREFILL_AUDIENCE, PREFILL_ISSUER, PrefillVerifier } from './prefill-verifier';

const CITIZEN = '001090000001';
const VALUES = { fullName: 'Nguyễn Văn An', birthDate: '1990-05-01' };
const ALG_REFUSED = /"alg" \(Algorithm\) Header Parameter value not allowed/;

interface Shape {
  alg?: 'EdDSA' | 'RS256' | 'HS256';
  /** null: no typ header. */
  typ?: string | null;
  /** null: no such claim. */
  iat?: number | null;
  exp?: number | null;
}

describe('PrefillVerifier: pinned like access tokens (algorithm, typ, expiry)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  let server: Server;
  let jwksUrl: string;
  let edKey: KeyLike;
  let rsaKey: KeyLike;
  let edPublic: JWK;
  let verifier: PrefillVerifier;

  /** A prefill grant as identity signs it, with one thing changed. */
  const token = (shape: Shape = {}): Promise<string> => {
    const alg = shape.alg ?? 'EdDSA';
    const typ = shape.typ === undefined ? TOKEN_TYPES.prefill : shape.typ;
    const jwt = new SignJWT({ pid: CITIZEN, values: VALUES })
      .setProtectedHeader({ alg, kid: alg === 'RS256' ? 'rsa' : 'ed', ...(typ === null ? {} : { typ }) })
      .setSubject(`citizen:${CITIZEN}`)
      .setIssuer(PREFILL_ISSUER)
      .setAudience(PREFILL_AUDIENCE);
    const iat = shape.iat === undefined ? now() : shape.iat;
    const exp = shape.exp === undefined ? now() + 7200 : shape.exp;
    if (iat !== null) jwt.setIssuedAt(iat);
    if (exp !== null) jwt.setExpirationTime(exp);
    // HS256 keyed with the published public key's bytes: the classic algorithm-confusion forgery.
    const key = alg === 'EdDSA' ? edKey : alg === 'RS256' ? rsaKey : base64url.decode(edPublic.x ?? '');
    return jwt.sign(key);
  };

  beforeAll(async () => {
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const rsa = await generateKeyPair('RS256', { modulusLength: 2048 });
    edKey = ed.privateKey;
    rsaKey = rsa.privateKey;
    edPublic = await exportJWK(ed.publicKey);
    // The published set holds an RSA key too, so an RS256 token is refused by the pin and not by a missing key.
    const jwks = {
      keys: [
        { ...edPublic, kid: 'ed', alg: 'EdDSA', use: 'sig' },
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
      ],
    };
    server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      } else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    verifier = new PrefillVerifier(jwksUrl);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('accepts a well-formed EdDSA prefill grant', async () => {
    expect(await verifier.verify(await token())).toEqual({ personalId: CITIZEN, values: VALUES });
  });

  it('refuses RS256 although the published RSA key verifies its signature', async () => {
    const rs256 = await token({ alg: 'RS256' });
    // Without the pin the same key set would take it: the refusal below is the pin's alone.
    await expect(
      jwtVerify(rs256, createRemoteJWKSet(new URL(jwksUrl)), { issuer: PREFILL_ISSUER, audience: PREFILL_AUDIENCE }),
    ).resolves.toMatchObject({ protectedHeader: { alg: 'RS256' } });
    await expect(verifier.verify(rs256)).rejects.toThrow(InvalidPrefillToken);
    await expect(verifier.verify(rs256)).rejects.toThrow(ALG_REFUSED);
  });

  it('refuses HS256 keyed with the published public key before any key is looked up', async () => {
    await expect(verifier.verify(await token({ alg: 'HS256' }))).rejects.toThrow(ALG_REFUSED);
  });

  it('refuses a token without exp (it would be valid for ever), or without iat', async () => {
    await expect(verifier.verify(await token({ exp: null }))).rejects.toThrow(InvalidPrefillToken);
    await expect(verifier.verify(await token({ exp: null }))).rejects.toThrow(/missing required "exp" claim/);
    await expect(verifier.verify(await token({ iat: null }))).rejects.toThrow(/missing required "iat" claim/);
  });

  it.each([
    ['no typ', { typ: null }],
    ['typ JWT', { typ: 'JWT' }],
    ['an access token typ', { typ: TOKEN_TYPES.access }],
  ] as const)('refuses %s', async (_, shape) => {
    await expect(verifier.verify(await token(shape))).rejects.toThrow(InvalidPrefillToken);
    await expect(verifier.verify(await token(shape))).rejects.toThrow(/unexpected "typ"/);
  });

  it('refuses an expired token (past the accepted clock skew)', async () => {
    const expired = await token({ iat: now() - 7300, exp: now() - 60 });
    await expect(verifier.verify(expired)).rejects.toThrow(InvalidPrefillToken);
    await expect(verifier.verify(expired)).rejects.toThrow(/"exp" claim timestamp check failed/);
  });
});

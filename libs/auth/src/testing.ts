import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { PREFILL_TOKEN_AUDIENCE, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_TYPES, type AccessClaims } from './claims';

export interface TestIssuer {
  jwksUrl: string;
  jwks: { keys: JWK[] };
  /** An access token by default; with the prefill audience, a prefill grant (typ `prefill+jwt`) as identity signs it. */
  sign(
    claims: AccessClaims,
    opts?: { expiresIn?: string; issuer?: string; audience?: string; typ?: string },
  ): Promise<string>;
  citizen(personalId: string, extra?: Partial<AccessClaims>): Promise<string>;
  officer(agency: string, extra?: Partial<AccessClaims>): Promise<string>;
  operator(extra?: Partial<AccessClaims>): Promise<string>;
  close(): Promise<void>;
}

/**
 * For services' tests: an EdDSA key pair whose JWKS is served on 127.0.0.1 like the identity service
 * serves its own, so services verify test tokens through the real remote-JWKS path. Tokens carry the headers and
 * claims identity's do (typ, iat, exp).
 */
export async function createTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'EdDSA', use: 'sig' };
  const jwks = { keys: [jwk] };
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const typOf = (audience: string | undefined) =>
    audience === PREFILL_TOKEN_AUDIENCE ? TOKEN_TYPES.prefill : TOKEN_TYPES.access;
  const sign: TestIssuer['sign'] = (claims, opts = {}) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key', typ: opts.typ ?? typOf(opts.audience) })
      .setIssuer(opts.issuer ?? TOKEN_ISSUER)
      .setAudience(opts.audience ?? TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '15m')
      .sign(privateKey);
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    jwks,
    sign,
    citizen: (pid, extra = {}) => sign({ sub: `citizen:${pid}`, role: 'citizen', pid, vneid: 2, ...extra }),
    officer: (agency, extra = {}) => sign({ sub: `officer:${agency}`, role: 'officer', agency, ...extra }),
    operator: (extra = {}) => sign({ sub: 'operator:1', role: 'operator', ...extra }),
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

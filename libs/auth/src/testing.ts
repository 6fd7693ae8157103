import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, type AccessClaims } from './claims';

export interface TestIssuer {
  jwksUrl: string;
  jwks: { keys: JWK[] };
  sign(claims: AccessClaims, opts?: { expiresIn?: string; issuer?: string; audience?: string }): Promise<string>;
  citizen(personalId: string, extra?: Partial<AccessClaims>): Promise<string>;
  officer(agency: string, extra?: Partial<AccessClaims>): Promise<string>;
  operator(extra?: Partial<AccessClaims>): Promise<string>;
  close(): Promise<void>;
}

/**
 * For services' tests: an EdDSA key pair whose JWKS is served on 127.0.0.1 like the identity service
 * serves its own, so services verify test tokens through the real remote-JWKS path.
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
  const sign: TestIssuer['sign'] = (claims, opts = {}) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'test-key' })
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

import type { Server } from 'node:http';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import request from 'supertest';
import { startIdentity, TEST_SIGNING_KEY_KEK, type IdentityTestApp } from '../testing/identity-test-app';
import { listSigningKeys, retireSigningKeys, rotateSigningKey } from './signing-key-rotation';
import { SIGNING_ALG } from './signing-key.store';

describe('token signing keys: sealed at rest, rotated through publication, retired after their tokens', () => {
  let t: IdentityTestApp;

  beforeAll(async () => {
    t = await startIdentity();
  });

  afterAll(async () => {
    await t.close();
  });

  /** A fresh instance on the same database: it loads the keys as they are now. */
  const instance = async (env?: Record<string, string>) =>
    request((await t.startAnother(env)).getHttpServer() as Server);
  const kidOfNewToken = async (http: ReturnType<typeof request>) => {
    const res = await http.post('/auth/staff/tokens').send({ username: 'operator', password: 'hoso-dev-password' });
    expect(res.status).toBe(200);
    return decodeProtectedHeader((res.body as { accessToken: string }).accessToken).kid;
  };
  const jwksKids = async (http: ReturnType<typeof request>) =>
    ((await http.get('/.well-known/jwks.json').expect(200)).body as { keys: { kid: string }[] }).keys
      .map((k) => k.kid)
      .sort();

  it('stores no private key in plain form, and seals a plain key left from before at the next start', async () => {
    const rows = await t.ds.query<{ private_jwk: unknown; private_sealed: string }[]>(
      'SELECT private_jwk, private_sealed FROM signing_keys',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.private_jwk).toBeNull();
      expect(r.private_sealed).toMatch(/^v2\./);
      expect(r.private_sealed).not.toContain('"d"');
    }
    // A key written in plain form (as before the keys were sealed), signing since an hour ago.
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk: JWK = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await t.ds.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, not_before) VALUES ($1, $2, $3, $4, now() - interval '1 hour')`,
      [kid, SIGNING_ALG, publicJwk, await exportJWK(privateKey)],
    );
    const http = await instance();
    const [row] = await t.ds.query<{ private_jwk: unknown; private_sealed: string | null }[]>(
      'SELECT private_jwk, private_sealed FROM signing_keys WHERE kid = $1',
      [kid],
    );
    expect(row).toMatchObject({ private_jwk: null, private_sealed: expect.stringMatching(/^v2\./) as unknown });
    expect(await jwksKids(http)).toContain(kid);
  });

  it('refuses to start with another key-encryption key, naming the variable', async () => {
    await expect(instance({ SIGNING_KEY_KEK: 'another-signing-key-kek-0123456789abcdef' })).rejects.toThrow(
      /does not open with SIGNING_KEY_KEK/,
    );
  });

  it('publishes a rotated key before it signs, then signs with it, then retires the old keys once their tokens expired', async () => {
    const before = await listSigningKeys(t.ds, new Date());
    const oldSigner = before.find((k) => k.role === 'signing')!.kid;
    const { kid } = await rotateSigningKey(t.ds, TEST_SIGNING_KEY_KEK, new Date(), 600);
    // Published at once, not signing yet; a second rotation waits for this one.
    let http = await instance();
    expect(await jwksKids(http)).toContain(kid);
    expect(await kidOfNewToken(http)).toBe(oldSigner);
    await expect(rotateSigningKey(t.ds, TEST_SIGNING_KEY_KEK, new Date(), 600)).rejects.toThrow(
      /still being published/,
    );
    expect(await retireSigningKeys(t.ds, new Date(), 900)).toEqual([]);

    // The publication period is over (time moved on: every key's times moved into the past, the new key's to a
    // minute ago): the new key signs, the old ones still verify.
    await t.ds.query(`UPDATE signing_keys SET not_before = not_before - interval '1 day' WHERE kid <> $1`, [kid]);
    await t.ds.query(`UPDATE signing_keys SET not_before = now() - interval '1 minute' WHERE kid = $1`, [kid]);
    http = await instance();
    expect(await kidOfNewToken(http)).toBe(kid);
    expect(await jwksKids(http)).toContain(oldSigner);
    // Tokens of the old key may live for the longest token lifetime (prefill, 2 h) after the switch: not retired yet.
    expect(await retireSigningKeys(t.ds, new Date(), 900)).toEqual([]);

    await t.ds.query(`UPDATE signing_keys SET not_before = now() - interval '3 hours' WHERE kid = $1`, [kid]);
    const retired = await retireSigningKeys(t.ds, new Date(), 900);
    expect(retired).toContain(oldSigner);
    expect(retired).not.toContain(kid);
    http = await instance();
    expect(await jwksKids(http)).toEqual([kid]);
    expect((await listSigningKeys(t.ds, new Date())).find((k) => k.kid === kid)?.role).toBe('signing');
  });
});

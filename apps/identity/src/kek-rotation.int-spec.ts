import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { runScript, testEnv } from '@hoso/testing';
import { totpCode, TotpSecretBox } from './auth/staff/second-factor';
import { startIdentity, TEST_SIGNING_KEY_KEK, type IdentityTestApp } from './testing/identity-test-app';
import { SIGNING_ALG, signingKeyBox } from './tokens/signing-key.store';

const DEV_PASSWORD = 'hoso-dev-password';
const PASSWORD = 'Kon-Tum-rotation-2026';
const NEW_SIGNING_KEK = 'rotated-signing-key-kek-0123456789abcdef';
const NEW_TOTP_KEY = 'rotated-staff-totp-key-0123456789abcdefgh';
const WRONG = 'a-key-nobody-ever-sealed-with-0123456789';

/** A sealed value in the first format (no KEK id), as releases before KEK rotation wrote them. */
function sealV1(secret: string, info: string, associatedData: string, plaintext: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, 'hoso-identity', info, 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), data].map((p) => p.toString('base64url'))].join('.');
}

describe('identity: rotation of SIGNING_KEY_KEK and STAFF_TOTP_KEY (previous keys, re-seal command; real servers)', () => {
  let t: IdentityTestApp;
  let oldTotpKey: string;
  let enrolled: { username: string; secret: string };
  let v1Kid: string;

  const rotatingEnv = () => ({
    SIGNING_KEY_KEK: NEW_SIGNING_KEK,
    SIGNING_KEY_KEK_PREVIOUS: TEST_SIGNING_KEY_KEK,
    STAFF_TOTP_KEY: NEW_TOTP_KEY,
    STAFF_TOTP_KEY_PREVIOUS: oldTotpKey,
  });
  const instance = async (env: Record<string, string>) =>
    request((await t.startAnother(env)).getHttpServer() as Server);
  const signIn = (http: ReturnType<typeof request>, body: Record<string, string>) =>
    http.post('/auth/staff/tokens').set('X-Forwarded-For', '192.0.2.44').send(body);
  /** A sign-in with the enrolled officer's next code (each code is accepted once: time moves on first). */
  const signInWithCode = async (http: ReturnType<typeof request>) => {
    t.clock.advance(30);
    return signIn(http, {
      username: enrolled.username,
      password: PASSWORD,
      totpCode: totpCode(enrolled.username, enrolled.secret, t.clock.now()),
    });
  };
  const sealedValues = async () => ({
    signing: (
      await t.ds.query<{ kid: string; private_sealed: string }[]>(
        'SELECT kid, private_sealed FROM signing_keys ORDER BY kid',
      )
    ).map((r) => r.private_sealed),
    totp: (
      await t.ds.query<{ v: string }[]>(
        `SELECT v FROM staff_accounts, unnest(ARRAY[totp_secret_enc, totp_pending_enc]) v WHERE v IS NOT NULL
          ORDER BY id, v`,
      )
    ).map((r) => r.v),
  });

  /** `nx run identity:rekey` as an operator runs it (the same script, its own process). */
  const rekey = (env: Record<string, string>) =>
    runScript('apps/identity/src/rekey.ts', {
      HOSO_DEV_MODE: '1',
      NODE_ENV: 'test',
      DATABASE_URL: testEnv.DATABASE_URL,
      IDENTITY_DATABASE_URL: t.env.databases['identity'],
      LOG_LEVEL: 'silent',
      ...env,
    });

  beforeAll(async () => {
    t = await startIdentity();
    oldTotpKey = t.config.staffTotpKey;
    const operator = await signIn(t.http(), { username: 'operator', password: DEV_PASSWORD });
    const operatorAuth = `Bearer ${(operator.body as { accessToken: string }).accessToken}`;
    // Two officers: one with TOTP on, one whose enrolment is pending (both values are sealed).
    const officers: { username: string; auth: string }[] = [];
    for (const n of [1, 2]) {
      const created = (
        await t
          .http()
          .post('/staff')
          .set('Authorization', operatorAuth)
          .send({ username: `officer.kek${n}`, agencyCode: 'P01', name: `Cán bộ ${n}` })
          .expect(201)
      ).body as { username: string; oneTimePassword: string };
      const first = await signIn(t.http(), {
        username: created.username,
        password: created.oneTimePassword,
        newPassword: PASSWORD,
      });
      expect(first.status).toBe(200);
      officers.push({
        username: created.username,
        auth: `Bearer ${(first.body as { accessToken: string }).accessToken}`,
      });
    }
    const [one, two] = officers as [(typeof officers)[0], (typeof officers)[0]];
    const started = await t.http().post('/staff/me/totp').set('Authorization', one.auth).send({ password: PASSWORD });
    const { secret } = started.body as { secret: string };
    await t
      .http()
      .post('/staff/me/totp/confirm')
      .set('Authorization', one.auth)
      .send({ code: totpCode(one.username, secret, t.clock.now()) })
      .expect(200);
    enrolled = { username: one.username, secret };
    await t.http().post('/staff/me/totp').set('Authorization', two.auth).send({ password: PASSWORD }).expect(200);

    // A signing key an earlier release sealed (first format) under the old KEK, still published.
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    v1Kid = await calculateJwkThumbprint(publicJwk);
    await t.ds.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, not_before)
       VALUES ($1, $2, $3, $4, now() - interval '1 day')`,
      [
        v1Kid,
        SIGNING_ALG,
        publicJwk,
        sealV1(TEST_SIGNING_KEY_KEK, 'token signing key v1', v1Kid, JSON.stringify(await exportJWK(privateKey))),
      ],
    );
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  it('opens values of the old keys with the _PREVIOUS variables, and without them refuses to start, naming each', async () => {
    const rotating = await instance(rotatingEnv());
    const jwks = (await rotating.get('/.well-known/jwks.json').expect(200)).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(v1Kid);
    expect((await signInWithCode(rotating)).status).toBe(200);

    await expect(instance({ SIGNING_KEY_KEK: NEW_SIGNING_KEK, STAFF_TOTP_KEY: NEW_TOTP_KEY })).rejects.toThrow(
      /^signing key \S+ does not open with SIGNING_KEY_KEK: /,
    );
    await expect(instance({ STAFF_TOTP_KEY: NEW_TOTP_KEY })).rejects.toThrow(
      /^the (TOTP secret|pending TOTP enrolment) of staff account officer\.kek\d does not open with STAFF_TOTP_KEY: it was sealed under another key-encryption key/,
    );
  });

  it('re-seals every value under the current keys in one command, reporting counts; a second run re-seals nothing', async () => {
    const signingKeys = (await sealedValues()).signing.length;
    expect(signingKeys).toBeGreaterThanOrEqual(2);
    const newSigningId = signingKeyBox(NEW_SIGNING_KEK).kekId;
    const newTotpId = new TotpSecretBox(NEW_TOTP_KEY).box.kekId;

    const first = await rekey(rotatingEnv());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      `signing_keys: ${signingKeys} re-sealed under SIGNING_KEY_KEK (KEK id ${newSigningId}), 0 already under it`,
      `staff_accounts: 2 re-sealed under STAFF_TOTP_KEY (KEK id ${newTotpId}), 0 already under it`,
    ]);
    const after = await sealedValues();
    expect(after.signing.every((v) => v.startsWith(`v2.${newSigningId}.`))).toBe(true);
    expect(after.totp).toHaveLength(2);
    expect(after.totp.every((v) => v.startsWith(`v2.${newTotpId}.`))).toBe(true);

    const second = await rekey(rotatingEnv());
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      `signing_keys: 0 re-sealed under SIGNING_KEY_KEK (KEK id ${newSigningId}), ${signingKeys} already`,
    );
    expect(second.stdout).toContain('staff_accounts: 0 re-sealed under STAFF_TOTP_KEY');
    expect(await sealedValues()).toEqual(after);
  }, 120_000);

  it('after the re-seal starts without the previous keys; the old or a wrong key refuses, and the command changes nothing', async () => {
    const rotated = await instance({ SIGNING_KEY_KEK: NEW_SIGNING_KEK, STAFF_TOTP_KEY: NEW_TOTP_KEY });
    const session = await signInWithCode(rotated);
    expect(session.status).toBe(200);
    const kid = decodeProtectedHeader((session.body as { accessToken: string }).accessToken).kid;
    const jwks = (await rotated.get('/.well-known/jwks.json').expect(200)).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, v1Kid]));

    // The old keys alone (the test app's own environment) no longer open anything.
    await expect(instance({})).rejects.toThrow(/does not open with SIGNING_KEY_KEK: it was sealed under another/);
    await expect(
      instance({ SIGNING_KEY_KEK: WRONG, SIGNING_KEY_KEK_PREVIOUS: `${WRONG}-2`, STAFF_TOTP_KEY: NEW_TOTP_KEY }),
    ).rejects.toThrow(/does not open with SIGNING_KEY_KEK or SIGNING_KEY_KEK_PREVIOUS/);

    const before = await sealedValues();
    const refused = await rekey({ SIGNING_KEY_KEK: WRONG, STAFF_TOTP_KEY: NEW_TOTP_KEY });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/signing key \S+ does not open with SIGNING_KEY_KEK: .*; nothing re-sealed/);
    const refusedTotp = await rekey({ SIGNING_KEY_KEK: NEW_SIGNING_KEK, STAFF_TOTP_KEY: WRONG });
    expect(refusedTotp.code).toBe(1);
    expect(refusedTotp.stderr).toMatch(/staff account officer\.kek\d does not open with STAFF_TOTP_KEY: /);
    expect(await sealedValues()).toEqual(before);
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { JwtVerifier, TOKEN_ISSUER } from '@hoso/auth';
import { findCitizenByPersonalId, unregisteredPersonalId } from '@hoso/population';
import { PREFILL_SOURCES } from '@hoso/population';
import { startIdentity, TEST_REGISTRY_SIZE, type IdentityTestApp } from '../testing/identity-test-app';
import { startSmsGatewayStub, type SmsGatewayStub } from '../testing/sms-gateway-stub';
import { hashRefreshToken } from '../tokens/session.service';

const PASSWORD = 'hoso-dev-password';

describe('identity: sign-in, tokens, staff, prefill (real servers)', () => {
  let t: IdentityTestApp;
  let sms: SmsGatewayStub;
  let eligible: string[];
  let levelZero: string;
  let deceased: string;

  const count = async (sql: string, params: unknown[] = []) =>
    (await t.ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]?.n ?? -1;

  const nextCitizen = () => {
    const pid = eligible.shift();
    if (!pid) throw new Error('out of test citizens');
    return pid;
  };

  async function challenge(pid: string) {
    const res = await t.http().post('/auth/citizen/challenges').send({ personalId: pid });
    return res;
  }

  async function signInCitizen(pid: string) {
    const c = await challenge(pid);
    expect(c.status).toBe(202);
    const otp = await t.otpFor(pid);
    expect(otp?.challengeId).toBe((c.body as { challengeId: string }).challengeId);
    const res = await t.http().post('/auth/citizen/tokens').send({ challengeId: otp!.challengeId, code: otp!.code });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string };
  }

  async function signInStaff(username: string, password = PASSWORD) {
    return t.http().post('/auth/staff/tokens').send({ username, password });
  }

  beforeAll(async () => {
    [t, sms] = await Promise.all([startIdentity(), startSmsGatewayStub()]);
    // With a phone number: some tests send the code by SMS.
    eligible = (
      await t.ds.query<{ personal_id: string }[]>(
        `SELECT personal_id FROM citizens WHERE NOT deceased AND vneid_level = 2 AND phone IS NOT NULL
          ORDER BY personal_id LIMIT 30`,
      )
    ).map((r) => r.personal_id);
    const pick = async (where: string) =>
      (await t.ds.query<{ personal_id: string }[]>(`SELECT personal_id FROM citizens WHERE ${where} LIMIT 1`))[0]!
        .personal_id;
    levelZero = await pick('NOT deceased AND vneid_level = 0');
    deceased = await pick('deceased AND vneid_level > 0');
  });

  afterAll(async () => {
    await t.close();
    await sms.close();
  });

  it('seeds the registry and the staff at start-up', async () => {
    expect(await count('citizens')).toBe(TEST_REGISTRY_SIZE);
    expect(await count('staff_accounts')).toBe(41);
    const hashes = await t.ds.query<{ password_hash: string }[]>('SELECT password_hash FROM staff_accounts');
    expect(hashes.every((h) => h.password_hash.startsWith('$argon2id$'))).toBe(true);
    expect(new Set(hashes.map((h) => h.password_hash)).size).toBe(41);
  });

  it('signs a citizen in with a one-time code: the JWT verifies against the served JWKS and carries pid/vneid', async () => {
    const pid = nextCitizen();
    const c = await challenge(pid);
    expect(c.status).toBe(202);
    const body = c.body as { challengeId: string; expiresAt: string };
    expect(body.challengeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(body.expiresAt).getTime() - Date.now()).toBeGreaterThan(290_000);
    const otp = (await t.otpFor(pid))!;
    expect(otp.code).toMatch(/^\d{6}$/);
    const [row] = await t.ds.query<{ code_hash: string }[]>('SELECT code_hash FROM otp_challenges WHERE id = $1', [
      body.challengeId,
    ]);
    expect(row!.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.code_hash).not.toContain(otp.code);

    const res = await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: otp.code });
    expect(res.status).toBe(200);
    const tokens = res.body as { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string };
    expect(tokens).toMatchObject({ expiresIn: 900, tokenType: 'Bearer' });
    expect(tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const registry = findCitizenByPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE, pid)!;
    const user = await new JwtVerifier({ jwks: t.jwksUrl }).verify(tokens.accessToken);
    expect(user).toMatchObject({ role: 'citizen', personalId: pid, vneidLevel: 2, name: registry.fullName });
    const claims = decodeJwt(tokens.accessToken);
    expect(decodeProtectedHeader(tokens.accessToken)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(claims.iss).toBe(TOKEN_ISSUER);
    expect(claims.exp! - claims.iat!).toBe(900);

    // The code is single-use.
    await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: otp.code }).expect(401);

    const me = await t.http().get('/citizens/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200);
    expect(me.body).toEqual(registry);
  });

  it('kills a challenge after 5 wrong codes, even for the right code afterwards', async () => {
    const pid = nextCitizen();
    expect((await challenge(pid)).status).toBe(202);
    const otp = (await t.otpFor(pid))!;
    const wrong = otp.code === '000000' ? '000001' : '000000';
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: wrong });
      expect(r.status).toBe(401);
      messages.push((r.body as { message: string }).message);
    }
    expect(messages[0]).toMatch(/4 attempt\(s\) left/);
    expect(messages[4]).toMatch(/no attempts left/);
    const late = await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: otp.code });
    expect(late.status).toBe(401);
    expect(await count('refresh_tokens WHERE subject_id = $1', [pid])).toBe(0);
  });

  it("records a citizen's failed and successful sign-ins in the audit trail, each in the exchange's transaction", async () => {
    const pid = nextCitizen();
    expect((await challenge(pid)).status).toBe(202);
    const otp = (await t.otpFor(pid))!;
    const wrong = otp.code === '000000' ? '000001' : '000000';
    // The failed attempt's request fails, yet its record (and its attempt count) commit.
    await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: wrong }).expect(401);
    await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: otp.code }).expect(200);
    const records = await t.ds.query<{ outcome: string; actor_sub: string; reason: string | null; tx: string }[]>(
      `SELECT outcome, actor_sub, entry::jsonb ->> 'reason' AS reason, xmin::text AS tx FROM audit_trail
        WHERE action = 'signin.citizen' AND entry::jsonb ->> 'resource' = $1 ORDER BY seq`,
      [`otp-challenge:${otp.challengeId}`],
    );
    expect(records.map(({ outcome, reason }) => [outcome, reason])).toEqual([
      ['denied', 'wrong'],
      ['allowed', null],
    ]);
    // The masked ID, never the whole personal ID.
    expect(records.map((r) => r.actor_sub)).toEqual([
      `citizen:${pid.slice(0, 4)}******${pid.slice(-2)}`,
      `citizen:${pid.slice(0, 4)}******${pid.slice(-2)}`,
    ]);
    // Written by the very transaction that opened the session (same transaction id on both rows).
    const [session] = await t.ds.query<{ tx: string }[]>(
      'SELECT xmin::text AS tx FROM refresh_tokens WHERE subject_id = $1',
      [pid],
    );
    expect(records[1]!.tx).toBe(session!.tx);
  });

  it('refuses an expired code', async () => {
    const pid = nextCitizen();
    expect((await challenge(pid)).status).toBe(202);
    const otp = (await t.otpFor(pid))!;
    t.clock.advance(301);
    const r = await t.http().post('/auth/citizen/tokens').send({ challengeId: otp.challengeId, code: otp.code });
    expect(r.status).toBe(401);
    expect((r.body as { message: string }).message).toMatch(/expired/);
  });

  it('allows 3 challenges per personal ID from one client at once (429), then one more every 5 minutes', async () => {
    const pid = nextCitizen();
    for (let i = 0; i < 3; i++) expect((await challenge(pid)).status).toBe(202);
    const limited = await challenge(pid);
    expect(limited.status).toBe(429);
    expect((limited.body as { message: string }).message).toMatch(/^too many codes requested; try again in \d+ s$/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(await count('otp_challenges WHERE personal_id = $1', [pid])).toBe(3);
    t.clock.advance(retryAfter);
    expect((await challenge(pid)).status).toBe(202);
    expect((await challenge(pid)).status).toBe(429);
  });

  it('shows the development code of a challenge to whoever holds its id, and never outside development mode', async () => {
    const devCode = (app: Parameters<typeof request>[0], id: string) =>
      request(app).get(`/auth/citizen/challenges/${id}/dev-code`);
    const pid = nextCitizen();
    const first = (await challenge(pid)).body as { challengeId: string; expiresAt: string };
    const res = await devCode(t.app.getHttpServer() as Server, first.challengeId).expect(200);
    expect(res.body).toEqual({
      challengeId: first.challengeId,
      code: (await t.otpFor(pid))!.code,
      expiresAt: first.expiresAt,
    });

    // A newer challenge of the same person replaces the code in their inbox: the old one has none to show.
    const second = (await challenge(pid)).body as { challengeId: string };
    await devCode(t.app.getHttpServer() as Server, first.challengeId).expect(404);
    const code = (await devCode(t.app.getHttpServer() as Server, second.challengeId).expect(200)).body as {
      code: string;
    };
    await t.http().post('/auth/citizen/tokens').send({ challengeId: second.challengeId, code: code.code }).expect(200);

    await devCode(t.app.getHttpServer() as Server, randomUUID()).expect(404);
    await devCode(t.app.getHttpServer() as Server, 'not-a-uuid').expect(400);
    // No code is sent to an ID that cannot sign in, so there is none to show.
    const unknown = unregisteredPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE, 1);
    const none = (await challenge(unknown)).body as { challengeId: string };
    await devCode(t.app.getHttpServer() as Server, none.challengeId).expect(404);

    const production = await t.startAnother(productionEnv());
    const prodChallenge = (
      await request(production.getHttpServer() as Server)
        .post('/auth/citizen/challenges')
        .send({ personalId: nextCitizen() })
        .expect(202)
    ).body as { challengeId: string };
    await devCode(production.getHttpServer() as Server, prodChallenge.challengeId).expect(404);
    await devCode(production.getHttpServer() as Server, second.challengeId).expect(404);
  });

  /** A second instance outside development mode: its own secrets, codes sent through the stub SMS gateway. */
  const productionEnv = () => ({
    HOSO_DEV_MODE: '0',
    NODE_ENV: 'production',
    OTP_SECRET: 'a-production-otp-secret-of-32-chars!',
    STAFF_TOTP_KEY: 'a-production-staff-totp-key-of-32-chars',
    SMS_GATEWAY_URL: sms.url,
    SMS_GATEWAY_API_KEY: 'sms-gateway-test-key-0123',
    SMS_GATEWAY_BACKOFF_MS: '10',
  });

  it('outside development mode sends the code through the SMS gateway, retrying it, and signs in with it', async () => {
    const production = request((await t.startAnother(productionEnv())).getHttpServer() as Server);
    const pid = nextCitizen();
    const [citizen] = await t.ds.query<{ phone: string }[]>('SELECT phone FROM citizens WHERE personal_id = $1', [pid]);
    sms.requests.length = 0;
    sms.script(503);
    const c = (await production.post('/auth/citizen/challenges').send({ personalId: pid }).expect(202)).body as {
      challengeId: string;
    };
    // Nothing in the development inbox: the code went to the gateway, on the second attempt.
    expect(await t.otpFor(pid)).toBeNull();
    expect(sms.requests).toHaveLength(2);
    const sent = sms.requests[1]!;
    expect(sent.headers['authorization']).toBe('Bearer sms-gateway-test-key-0123');
    expect(sent.body).toMatchObject({ to: `+84${citizen!.phone.slice(1)}`, reference: c.challengeId });
    const code = /ma xac thuc cua ban la (\d{6})/.exec(sent.body.text)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    await production.post('/auth/citizen/tokens').send({ challengeId: c.challengeId, code }).expect(200);

    // A gateway that keeps failing: the citizen is told to try again (503), without the gateway's details.
    sms.script(503, 503, 503);
    const failed = await production.post('/auth/citizen/challenges').send({ personalId: nextCitizen() });
    expect(failed.status).toBe(503);
    expect((failed.body as { message: string }).message).toBe(
      'the one-time code could not be sent; try again in a moment',
    );
  });

  it('refuses citizens without a VNeID account, deceased or unknown, without saying which', async () => {
    const unknown = unregisteredPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE);
    for (const pid of [levelZero, deceased, unknown]) {
      const c = await challenge(pid);
      expect(c.status).toBe(202);
      expect(Object.keys(c.body as object).sort()).toEqual(['challengeId', 'expiresAt']);
      expect(await t.otpFor(pid)).toBeNull();
      const r = await t
        .http()
        .post('/auth/citizen/tokens')
        .send({ challengeId: (c.body as { challengeId: string }).challengeId, code: '123456' });
      expect(r.status).toBe(401);
      // Same answer as a wrong code for a real citizen.
      expect((r.body as { message: string }).message).toBe('wrong code: 4 attempt(s) left');
    }
  });

  it('signs officers in with their agency; unknown usernames get the answer of a wrong password', async () => {
    const ok = await signInStaff('officer.p79');
    expect(ok.status).toBe(200);
    const officer = await new JwtVerifier({ jwks: t.jwksUrl }).verify((ok.body as { accessToken: string }).accessToken);
    expect(officer).toMatchObject({ role: 'officer', agencyCode: 'P79', sub: 'officer:officer.p79' });

    const unknown = await signInStaff('officer.nobody', 'whatever-password');
    const wrong = await signInStaff('officer.p01', 'wrong-password');
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect((unknown.body as { message: string }).message).toBe('invalid username or password');
    expect((wrong.body as { message: string }).message).toBe('invalid username or password');
    // Development seeding: the shared password, no forced change, so bots and browser tests sign in unattended.
    const after = await signInStaff('officer.p01');
    expect(after.status).toBe(200);
    expect(decodeJwt((after.body as { accessToken: string }).accessToken)).toMatchObject({ agency: 'P01' });
  });

  it('rotates refresh tokens, detects reuse (whole session revoked) and revokes on logout', async () => {
    const first = (await signInStaff('officer.bca')).body as { refreshToken: string; accessToken: string };
    const second = await t.http().post('/auth/refresh').send({ refreshToken: first.refreshToken });
    expect(second.status).toBe(200);
    const pair = second.body as { refreshToken: string; accessToken: string };
    expect(pair.refreshToken).not.toBe(first.refreshToken);
    expect(decodeJwt(pair.accessToken)).toMatchObject({ role: 'officer', agency: 'BCA' });
    const third = await t.http().post('/auth/refresh').send({ refreshToken: pair.refreshToken });
    expect(third.status).toBe(200);
    const latest = (third.body as { refreshToken: string }).refreshToken;

    // The first token again: someone kept a copy. The whole family dies, the latest token included.
    const reuse = await t.http().post('/auth/refresh').send({ refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect((reuse.body as { message: string }).message).toMatch(/already used/);
    await t.http().post('/auth/refresh').send({ refreshToken: latest }).expect(401);

    const citizen = await signInCitizen(nextCitizen());
    await t.http().post('/auth/logout').send({ refreshToken: citizen.refreshToken }).expect(204);
    await t.http().post('/auth/refresh').send({ refreshToken: citizen.refreshToken }).expect(401);
    await t.http().post('/auth/logout').send({ refreshToken: citizen.refreshToken }).expect(204);
    const stored = await t.ds.query<{ token_hash: string }[]>('SELECT token_hash FROM refresh_tokens');
    expect(stored.some((r) => r.token_hash === citizen.refreshToken)).toBe(false);
  });

  it('ends a session 30 days after its sign-in however often it is refreshed', async () => {
    const day = 24 * 3600;
    const signIn = (await signInStaff('officer.p48')).body as { refreshToken: string };
    const [started] = await t.ds.query<{ session_started_at: Date }[]>(
      'SELECT session_started_at FROM refresh_tokens WHERE token_hash = $1',
      [hashRefreshToken(signIn.refreshToken)],
    );
    let token = signIn.refreshToken;
    // Each refresh within the 14-day idle lifetime succeeds…
    for (const days of [13, 13]) {
      t.clock.advance(days * day);
      const r = await t.http().post('/auth/refresh').send({ refreshToken: token });
      expect(r.status).toBe(200);
      token = (r.body as { refreshToken: string }).refreshToken;
    }
    // …but the token of day 26 expires with the session on day 30, not 14 days later.
    const [latest] = await t.ds.query<{ expires_at: Date; session_started_at: Date }[]>(
      'SELECT expires_at, session_started_at FROM refresh_tokens WHERE token_hash = $1',
      [hashRefreshToken(token)],
    );
    expect(latest!.session_started_at).toEqual(started!.session_started_at);
    expect(latest!.expires_at.getTime()).toBe(
      started!.session_started_at.getTime() + t.config.SESSION_MAX_LIFETIME_SEC * 1000,
    );
    t.clock.advance(4 * day + 1);
    const ended = await t.http().post('/auth/refresh').send({ refreshToken: token });
    expect(ended.status).toBe(401);
    expect((ended.body as { message: string }).message).toBe(
      'the session has reached its maximum lifetime, sign in again',
    );
    // A new sign-in starts a new session.
    expect((await signInStaff('officer.p48')).status).toBe(200);
  });

  it('lets only operators create officers, with validated input, and a one-time password', async () => {
    const body = { username: 'officer.c00004', agencyCode: 'C00004', name: 'Cán bộ xã' };
    await t.http().post('/staff').send(body).expect(401);
    const citizen = await signInCitizen(nextCitizen());
    await t.http().post('/staff').set('Authorization', `Bearer ${citizen.accessToken}`).send(body).expect(403);
    const officer = (await signInStaff('officer.btp')).body as { accessToken: string };
    await t.http().post('/staff').set('Authorization', `Bearer ${officer.accessToken}`).send(body).expect(403);
    const operator = (await signInStaff('operator')).body as { accessToken: string };
    expect(decodeJwt(operator.accessToken)).toMatchObject({ role: 'operator' });
    const auth = `Bearer ${operator.accessToken}`;

    // The operator does not choose the password any more: the service makes a one-time one.
    const withPassword = await t
      .http()
      .post('/staff')
      .set('Authorization', auth)
      .send({ ...body, password: 'Cán-bộ-xã-2026' });
    expect(withPassword.status).toBe(400);
    expect((withPassword.body as { message: string }).message).toMatch(/password/);
    const badAgency = await t
      .http()
      .post('/staff')
      .set('Authorization', auth)
      .send({ ...body, agencyCode: 'X1' });
    expect(badAgency.status).toBe(400);
    const extra = await t
      .http()
      .post('/staff')
      .set('Authorization', auth)
      .send({ ...body, role: 'operator' });
    expect(extra.status).toBe(400);
    expect((extra.body as { message: string }).message).toMatch(/role/);
    expect(await count('staff_accounts WHERE username = $1', [body.username])).toBe(0);

    const created = await t.http().post('/staff').set('Authorization', auth).send(body);
    expect(created.status).toBe(201);
    const account = created.body as { oneTimePassword: string; mustChangePassword: boolean };
    expect(created.body).toMatchObject({ username: body.username, agencyCode: 'C00004', role: 'officer' });
    expect(account.mustChangePassword).toBe(true);
    expect(account.oneTimePassword).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
    await t.http().post('/staff').set('Authorization', auth).send(body).expect(409);
    const signedIn = await t
      .http()
      .post('/auth/staff/tokens')
      .send({ username: body.username, password: account.oneTimePassword, newPassword: 'Cán-bộ-xã-2026' });
    expect(signedIn.status).toBe(200);
    expect(decodeJwt((signedIn.body as { accessToken: string }).accessToken)).toMatchObject({ agency: 'C00004' });
  });

  it('prefills e-form values equal to the registry, signed for intake (aud hoso-prefill)', async () => {
    const pid = nextCitizen();
    const { accessToken } = await signInCitizen(pid);
    const res = await t
      .http()
      .post('/prefill')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ sources: [...PREFILL_SOURCES] });
    expect(res.status).toBe(200);
    const r = findCitizenByPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE, pid)!;
    const { values, prefillToken } = res.body as { values: Record<string, string>; prefillToken: string };
    expect(values).toEqual({
      fullName: r.fullName,
      birthDate: r.birthDate,
      gender: r.gender === 'male' ? 'Nam' : 'Nữ',
      personalId: pid,
      permanentAddress: r.permanentAddress,
      provinceCode: r.currentProvinceCode,
      ethnicity: r.ethnicity,
      nationality: r.nationality,
    });
    const { payload, protectedHeader } = await jwtVerify(prefillToken, createRemoteJWKSet(new URL(t.jwksUrl)), {
      issuer: TOKEN_ISSUER,
      audience: 'hoso-prefill',
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'prefill+jwt' });
    expect(payload).toMatchObject({ sub: `citizen:${pid}`, pid, values });
    expect(payload.exp! - payload.iat!).toBe(7200);
    // A prefill token is not an access token.
    await t.http().get('/citizens/me').set('Authorization', `Bearer ${prefillToken}`).expect(401);

    const some = await t
      .http()
      .post('/prefill')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ sources: ['fullName'] });
    expect((some.body as { values: object }).values).toEqual({ fullName: r.fullName });
    await t
      .http()
      .post('/prefill')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ sources: ['salary'] })
      .expect(400);
  });

  it('refuses bad bodies with 400 and stores nothing', async () => {
    const before = await count('otp_challenges');
    const pid = nextCitizen();
    const extra = await t.http().post('/auth/citizen/challenges').send({ personalId: pid, phone: '0900000000' });
    expect(extra.status).toBe(400);
    expect((extra.body as { message: string }).message).toMatch(/phone/);
    for (const bad of ['12345', '0791234567890', '999099000001', 'abcdefghijkl']) {
      const r = await t.http().post('/auth/citizen/challenges').send({ personalId: bad });
      expect(r.status).toBe(400);
    }
    await t.http().post('/auth/citizen/tokens').send({ challengeId: 'nope', code: '12' }).expect(400);
    await t.http().post('/auth/staff/tokens').send({ username: 'operator', password: PASSWORD, otp: 1 }).expect(400);
    expect(await count('otp_challenges')).toBe(before);
    expect(await t.otpFor(pid)).toBeNull();
  });

  it('answers 401 without a token on every non-public endpoint, and serves health, metrics, docs and JWKS', async () => {
    const doc = (await t.http().get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const isPublic = (path: string) => /^\/(\.well-known\/|auth\/|health)/.test(path);
    const guarded = Object.entries(doc.paths).flatMap(([path, ops]) =>
      isPublic(path) ? [] : Object.keys(ops).map((method) => ({ path, method })),
    );
    expect(guarded.map((g) => `${g.method} ${g.path}`).sort()).toEqual([
      'get /audit-trail',
      'get /citizens/me',
      'get /staff',
      'get /staff/me',
      'post /prefill',
      'post /staff',
      'post /staff/me/password',
      'post /staff/me/totp',
      'post /staff/me/totp/confirm',
      'post /staff/{id}/disable',
      'post /staff/{id}/enable',
      'post /staff/{id}/reset',
    ]);
    for (const { path, method } of guarded) {
      const r = await (method === 'get' ? t.http().get(path) : t.http().post(path).send({}));
      expect(r.status).toBe(401);
    }
    const health = await t.http().get('/health').expect(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, kafka: { status: 'up' }, redis: { status: 'up' } },
    });
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/http_requests_total\{[^}]*route="\/auth\/citizen\/tokens"/);
    const jwks = (await t.http().get('/.well-known/jwks.json').expect(200)).body as { keys: object[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

import { brokerKafkaPassword } from '@hoso/config';
import { verify } from '@node-rs/argon2';
import { decodeJwt } from 'jose';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '@hoso/persistence';
import { runScript, testEnv } from '@hoso/testing';
import { startIdentity, type IdentityTestApp } from '../../testing/identity-test-app';
import { totpCode } from './second-factor';
import { ACCOUNT_RULE, PAIR_RULE, SOURCE_RULE } from './signin-throttle';

const DEV_PASSWORD = 'hoso-dev-password';

interface Account {
  id: string;
  username: string;
  disabled: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  oneTimePassword?: string;
}

/** A different client address per test, so one test's throttling never reaches another's. */
let nextAddress = 10;
const freshAddress = () => `198.51.100.${nextAddress++}`;

describe('identity: staff accounts (one-time passwords, TOTP, operators, throttling; real servers)', () => {
  let t: IdentityTestApp;
  let operatorAuth: string;
  let made = 0;

  /** A sign-in from `source` (as the gateway forwards it: the client's address in X-Forwarded-For). */
  const signIn = (body: Record<string, string>, source = '192.0.2.1') =>
    t.http().post('/auth/staff/tokens').set('X-Forwarded-For', source).send(body);

  const tokenOf = (res: Response) => (res.body as { accessToken: string }).accessToken;

  async function createOfficer(): Promise<Account & { oneTimePassword: string }> {
    made += 1;
    const res = await t
      .http()
      .post('/staff')
      .set('Authorization', operatorAuth)
      .send({ username: `officer.t${made}`, agencyCode: 'P79', name: `Cán bộ thử ${made}` });
    expect(res.status).toBe(201);
    return res.body as Account & { oneTimePassword: string };
  }

  /** A new officer who has already replaced the one-time password with `password`. */
  async function activeOfficer(
    password = 'Tuyên-Quang-2026!',
  ): Promise<{ account: Account; password: string; token: string }> {
    const account = await createOfficer();
    const res = await signIn({ username: account.username, password: account.oneTimePassword, newPassword: password });
    expect(res.status).toBe(200);
    return { account, password, token: tokenOf(res) };
  }

  beforeAll(async () => {
    t = await startIdentity();
    const res = await signIn({ username: 'operator', password: DEV_PASSWORD });
    expect(res.status).toBe(200);
    operatorAuth = `Bearer ${tokenOf(res)}`;
  });

  afterAll(async () => {
    await t.close();
  });

  it('forces a change of the one-time password at the first sign-in, refusing short and breached passwords', async () => {
    const account = await createOfficer();
    expect(account.mustChangePassword).toBe(true);
    const otp = account.oneTimePassword;
    const stored = await t.ds.query<{ password_hash: string }[]>(
      'SELECT password_hash FROM staff_accounts WHERE id = $1',
      [account.id],
    );
    expect(stored[0]!.password_hash).toMatch(/^\$argon2id\$/);
    expect(stored[0]!.password_hash).not.toContain(otp);

    const first = await signIn({ username: account.username, password: otp });
    expect(first.status).toBe(403);
    expect(first.body).toMatchObject({ next: 'change-password' });
    expect((first.body as { message: string }).message).toMatch(/must be changed/);
    expect(first.body).not.toHaveProperty('accessToken');

    for (const [newPassword, why] of [
      ['Short-1a', /at least 12 characters/],
      ['Password2026!', /breached/],
      ['Qwerty123456!', /breached/],
      ['1q2w3e4r5t6y', /three of/],
      [otp, /differ/],
    ] as const) {
      const res = await signIn({ username: account.username, password: otp, newPassword });
      expect(res.status).toBe(400);
      expect((res.body as { message: string }).message).toMatch(why);
    }
    // None of the refusals changed anything: the one-time password still leads to the same step.
    expect((await signIn({ username: account.username, password: otp })).status).toBe(403);

    const changed = await signIn({ username: account.username, password: otp, newPassword: 'Cán-bộ-Huế-2026' });
    expect(changed.status).toBe(200);
    expect(decodeJwt(tokenOf(changed))).toMatchObject({ sub: `officer:${account.username}`, agency: 'P79' });
    expect((await signIn({ username: account.username, password: otp })).status).toBe(401);
    expect((await signIn({ username: account.username, password: 'Cán-bộ-Huế-2026' })).status).toBe(200);

    // Changing one's own password later: the current one is required, the policy applies.
    const auth = `Bearer ${tokenOf(changed)}`;
    const me = t.http().post('/staff/me/password').set('Authorization', auth);
    expect((await me.send({ currentPassword: 'wrong-password', newPassword: 'Another-Good-2027' })).status).toBe(403);
    const weak = await t
      .http()
      .post('/staff/me/password')
      .set('Authorization', auth)
      .send({ currentPassword: 'Cán-bộ-Huế-2026', newPassword: 'password1234' });
    expect(weak.status).toBe(400);
    await t
      .http()
      .post('/staff/me/password')
      .set('Authorization', auth)
      .send({ currentPassword: 'Cán-bộ-Huế-2026', newPassword: 'Another-Good-2027' })
      .expect(204);
    expect((await signIn({ username: account.username, password: 'Another-Good-2027' })).status).toBe(200);
  });

  it('enrols TOTP (confirmed by a code) and then signs in with a code or with a recovery code, once each', async () => {
    const { account, password, token } = await activeOfficer();
    const auth = `Bearer ${token}`;
    await t.http().post('/staff/me/totp').set('Authorization', auth).send({ password: 'not-my-password' }).expect(403);
    const started = await t.http().post('/staff/me/totp').set('Authorization', auth).send({ password });
    expect(started.status).toBe(200);
    const { otpauthUri, secret } = started.body as { otpauthUri: string; secret: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toBe(
      `otpauth://totp/hoso:${account.username}?issuer=hoso&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    );
    // Stored encrypted: the secret is not in the row.
    const [row] = await t.ds.query<Record<string, string | null>[]>('SELECT * FROM staff_accounts WHERE id = $1', [
      account.id,
    ]);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row!['totp_pending_enc']).toMatch(/^v2\./);
    // Not on until confirmed: signing in still needs the password only.
    expect((await signIn({ username: account.username, password })).status).toBe(200);

    const confirm = (code: string) => t.http().post('/staff/me/totp/confirm').set('Authorization', auth).send({ code });
    const right = totpCode(account.username, secret, t.clock.now());
    expect((await confirm(right === '000000' ? '000001' : '000000')).status).toBe(400);
    const confirmed = await confirm(right);
    expect(confirmed.status).toBe(200);
    const { recoveryCodes } = confirmed.body as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const hashes = await t.ds.query<{ code_hash: string }[]>(
      'SELECT code_hash FROM staff_recovery_codes WHERE staff_id = $1',
      [account.id],
    );
    expect(hashes).toHaveLength(10);
    for (const c of recoveryCodes) expect(JSON.stringify(hashes)).not.toContain(c);
    // The secret is never shown again.
    expect((await t.http().post('/staff/me/totp').set('Authorization', auth).send({ password })).status).toBe(409);
    const me = await t.http().get('/staff/me').set('Authorization', auth).expect(200);
    expect(me.body).toMatchObject({ totpEnabled: true, recoveryCodesLeft: 10 });
    expect(JSON.stringify(me.body)).not.toContain(secret);
    const list = await t.http().get('/staff').set('Authorization', operatorAuth).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    // The password alone is not enough any more.
    const passwordOnly = await signIn({ username: account.username, password });
    expect(passwordOnly.status).toBe(401);
    expect(passwordOnly.body).toMatchObject({ next: 'totp' });
    // The code used to confirm was used: the next time step brings a new one.
    expect((await signIn({ username: account.username, password, totpCode: right })).status).toBe(401);
    t.clock.advance(30);
    const code = totpCode(account.username, secret, t.clock.now());
    const withCode = await signIn({ username: account.username, password, totpCode: code });
    expect(withCode.status).toBe(200);
    // A code is accepted once: replaying it (a shoulder-surfed or phished code) is refused.
    expect((await signIn({ username: account.username, password, totpCode: code })).status).toBe(401);
    // A right code with a wrong password proves nothing.
    t.clock.advance(30);
    const later = totpCode(account.username, secret, t.clock.now());
    const wrongPassword = await signIn({ username: account.username, password: 'Wrong-password-1', totpCode: later });
    expect(wrongPassword.status).toBe(401);
    expect((wrongPassword.body as { message: string }).message).toBe('invalid username or password');

    const recovery = recoveryCodes[3]!;
    const withRecovery = await signIn({ username: account.username, password, recoveryCode: recovery.toUpperCase() });
    expect(withRecovery.status).toBe(200);
    expect((await signIn({ username: account.username, password, recoveryCode: recovery })).status).toBe(401);
    const after = await t
      .http()
      .get('/staff/me')
      .set('Authorization', `Bearer ${tokenOf(withRecovery)}`);
    expect(after.body).toMatchObject({ recoveryCodesLeft: 9 });
  });

  it('lets operators disable (same answer as unknown), re-enable and reset accounts; not their own', async () => {
    const { account, password, token } = await activeOfficer();
    const session = await signIn({ username: account.username, password });
    const refreshToken = (session.body as { refreshToken: string }).refreshToken;
    const act = (id: string, action: string, auth = operatorAuth) =>
      t.http().post(`/staff/${id}/${action}`).set('Authorization', auth).send();

    await act(account.id, 'disable', `Bearer ${token}`).expect(403);
    const disabled = await act(account.id, 'disable');
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: account.id, disabled: true });
    const refused = await signIn({ username: account.username, password }, freshAddress());
    const unknown = await signIn({ username: 'officer.never-created', password }, freshAddress());
    expect([refused.status, unknown.status]).toEqual([401, 401]);
    const strip = (b: object) => ({ ...b, correlationId: undefined });
    expect(strip(refused.body as object)).toEqual(strip(unknown.body as object));
    // Its sessions end: the refresh token no longer works.
    await t.http().post('/auth/refresh').send({ refreshToken }).expect(401);

    const enabled = await act(account.id, 'enable');
    expect(enabled.body).toMatchObject({ disabled: false });
    expect((await signIn({ username: account.username, password })).status).toBe(200);

    const reset = await act(account.id, 'reset');
    expect(reset.status).toBe(200);
    const fresh = reset.body as Account & { oneTimePassword: string };
    expect(fresh).toMatchObject({ mustChangePassword: true, totpEnabled: false });
    expect(fresh.oneTimePassword).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
    expect((await signIn({ username: account.username, password })).status).toBe(401);
    expect((await signIn({ username: account.username, password: fresh.oneTimePassword })).body).toMatchObject({
      next: 'change-password',
    });
    const again = await act(account.id, 'reset');
    expect((again.body as { oneTimePassword: string }).oneTimePassword).not.toBe(fresh.oneTimePassword);

    // An operator cannot lock themselves out.
    const list = (await t.http().get('/staff').set('Authorization', operatorAuth).expect(200)).body as Account[];
    const self = list.find((a) => a.username === 'operator')!;
    expect((await act(self.id, 'disable')).status).toBe(403);
    expect((await act(self.id, 'reset')).status).toBe(403);
    expect((await act('0192d3a4-0000-7000-8000-000000000000', 'disable')).status).toBe(404);
    expect((await act('not-a-uuid', 'disable')).status).toBe(400);
    const audit = await t.http().get('/staff').set('Authorization', `Bearer ${token}`);
    expect(audit.status).toBe(403);
  });

  it('slows repeated failures per address and username, never locking the owner out from elsewhere', async () => {
    const { account, password } = await activeOfficer();
    const attacker = freshAddress();
    for (let i = 0; i < PAIR_RULE.free; i++) {
      expect((await signIn({ username: account.username, password: `Guess-number-${i}` }, attacker)).status).toBe(401);
    }
    const slowed = await signIn({ username: account.username, password }, attacker);
    expect(slowed.status).toBe(429);
    const retryAfter = Number(slowed.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(PAIR_RULE.baseSec);
    expect(slowed.body).toMatchObject({ retryAfterSec: retryAfter });
    expect((slowed.body as { message: string }).message).toMatch(/too many failed/);

    // The owner, from their own address, is not held back at all.
    expect((await signIn({ username: account.username, password }, freshAddress())).status).toBe(200);

    // Unknown usernames are slowed down in exactly the same way: a 429 says nothing about existence.
    const prober = freshAddress();
    for (let i = 0; i < PAIR_RULE.free; i++) {
      expect((await signIn({ username: 'officer.ghost', password: `Guess-number-${i}` }, prober)).status).toBe(401);
    }
    const ghost = await signIn({ username: 'officer.ghost', password: 'Guess-again' }, prober);
    expect(ghost.status).toBe(429);
    expect(Object.keys(ghost.body as object).sort()).toEqual(Object.keys(slowed.body as object).sort());
    expect((ghost.body as { message: string }).message).toBe((slowed.body as { message: string }).message);

    // After the wait, one more failure doubles it.
    t.clock.advance(retryAfter);
    expect((await signIn({ username: account.username, password: 'Guess-more-1' }, attacker)).status).toBe(401);
    const doubled = await signIn({ username: account.username, password }, attacker);
    expect(doubled.status).toBe(429);
    expect(Number(doubled.headers['retry-after'])).toBeGreaterThan(PAIR_RULE.baseSec);
    expect(Number(doubled.headers['retry-after'])).toBeLessThanOrEqual(2 * PAIR_RULE.baseSec);
    // And the right password works once the wait is over, which also clears the count.
    t.clock.advance(2 * PAIR_RULE.baseSec);
    expect((await signIn({ username: account.username, password }, attacker)).status).toBe(200);
  });

  it('counts concurrent guesses before checking them, so a burst gets no more tries than a sequence', async () => {
    const { account } = await activeOfficer();
    const burst = freshAddress();
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn({ username: account.username, password: `Burst-guess-${i}` }, burst)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(PAIR_RULE.free);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - PAIR_RULE.free);
  });

  it('slows one address spraying passwords over many usernames, and only that address', async () => {
    const sprayer = freshAddress();
    for (let i = 0; i < SOURCE_RULE.free; i++) {
      const r = await signIn(
        { username: `officer.p${String(i + 1).padStart(2, '0')}`, password: 'Spring-2026!' },
        sprayer,
      );
      expect(r.status).toBe(401);
    }
    const next = await signIn({ username: 'officer.p79', password: DEV_PASSWORD }, sprayer);
    expect(next.status).toBe(429);
    expect((await signIn({ username: 'officer.p79', password: DEV_PASSWORD }, freshAddress())).status).toBe(200);
  });

  it('slows guessing spread over many addresses for new addresses only, never for one the owner used before', async () => {
    const { account, password } = await activeOfficer();
    const office = freshAddress();
    expect((await signIn({ username: account.username, password }, office)).status).toBe(200);
    // A botnet: each address guesses once, so no per-address counter ever fills up.
    for (let i = 0; i < ACCOUNT_RULE.free; i++) {
      const r = await signIn({ username: account.username, password: `Botnet-guess-${i}` }, `203.0.113.${i + 1}`);
      expect(r.status).toBe(401);
    }
    const newcomer = await signIn({ username: account.username, password }, '203.0.113.200');
    expect(newcomer.status).toBe(429);
    expect(Number(newcomer.headers['retry-after'])).toBeLessThanOrEqual(ACCOUNT_RULE.maxSec);
    // The owner's usual address is not held back.
    expect((await signIn({ username: account.username, password }, office)).status).toBe(200);
    // Nor is anybody, once the short wait is over.
    t.clock.advance(ACCOUNT_RULE.maxSec);
    expect((await signIn({ username: account.username, password }, '203.0.113.201')).status).toBe(200);
  });

  it('records staff actions in the audit trail with the action, failed sign-ins in a transaction that commits', async () => {
    const trail = (action: string, resource: string) =>
      t.ds.query<{ seq: string; outcome: string; actor_sub: string | null; reason: string | null; tx: string }[]>(
        `SELECT seq::text AS seq, outcome, actor_sub, entry::jsonb ->> 'reason' AS reason, xmin::text AS tx
           FROM audit_trail WHERE action = $1 AND entry::jsonb ->> 'resource' IS NOT DISTINCT FROM $2 ORDER BY seq`,
        [action, resource],
      );
    const txOf = async (id: string) =>
      (await t.ds.query<{ tx: string }[]>('SELECT xmin::text AS tx FROM staff_accounts WHERE id = $1', [id]))[0]!.tx;

    const account = await createOfficer();
    const [created] = await trail('staff.create', `staff:${account.username}@P79`);
    expect(created).toMatchObject({ outcome: 'allowed', actor_sub: 'operator:operator' });
    // The same transaction as the account's row.
    expect(created!.tx).toBe(await txOf(account.id));

    // A refused action leaves no record: a taken username.
    const taken = await t
      .http()
      .post('/staff')
      .set('Authorization', operatorAuth)
      .send({ username: account.username, agencyCode: 'P48', name: 'Trùng tên' });
    expect(taken.status).toBe(409);
    expect(await trail('staff.create', `staff:${account.username}@P48`)).toEqual([]);

    await t.http().post(`/staff/${account.id}/disable`).set('Authorization', operatorAuth).expect(200);
    const [disabled] = await trail('staff.disable', `staff:${account.username}`);
    expect(disabled).toMatchObject({ outcome: 'allowed', actor_sub: 'operator:operator' });
    expect(disabled!.tx).toBe(await txOf(account.id));

    // A failed sign-in answers 401, and its record is there all the same (with the reason only the trail tells).
    const source = freshAddress();
    expect((await signIn({ username: account.username, password: account.oneTimePassword }, source)).status).toBe(401);
    const failures = await t.ds.query<{ outcome: string; reason: string }[]>(
      `SELECT outcome, entry::jsonb ->> 'reason' AS reason FROM audit_trail
        WHERE action = 'signin.staff' AND actor_sub = $1 ORDER BY seq`,
      [`officer:${account.username}`],
    );
    expect(failures).toEqual([{ outcome: 'denied', reason: 'account disabled' }]);
  });

  it('shows operators the verified trail on GET /audit-trail, and names the entry edited in PostgreSQL', async () => {
    const { token: officerToken } = await activeOfficer();
    await t.http().get('/audit-trail').expect(401);
    await t.http().get('/audit-trail').set('Authorization', `Bearer ${officerToken}`).expect(403);
    for (const limit of ['0', '501', 'many']) {
      const bad = await t.http().get(`/audit-trail?limit=${limit}`).set('Authorization', operatorAuth);
      expect(bad.status).toBe(400);
    }
    const read = async (limit?: number) => {
      const res = await t
        .http()
        .get(`/audit-trail${limit ? `?limit=${limit}` : ''}`)
        .set('Authorization', operatorAuth);
      expect(res.status).toBe(200);
      return res.body as {
        verification: { ok: boolean; entries: number; brokenAt?: number; reason?: string };
        entries: { seq: number; recordedAt: string; action: string; actor: { sub: string } | null }[];
      };
    };
    const n = (await t.ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM audit_trail'))[0]!.n;
    const whole = await read(500);
    expect(whole.verification).toEqual({
      ok: true,
      entries: n,
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    // Newest first, parsed, with position and time.
    expect(whole.entries.map((e) => e.seq)).toEqual(Array.from({ length: Math.min(n, 500) }, (_, i) => n - i));
    expect(whole.entries[0]).toMatchObject({
      action: 'signin.staff',
      actor: { sub: expect.stringMatching(/^officer:/) as unknown },
    });
    expect((await read()).entries).toHaveLength(Math.min(n, 50));
    expect((await read(2)).entries).toHaveLength(2);

    // Someone with DDL rights turns the guard off and edits an entry: the endpoint names that entry.
    const [victim] = await t.ds.query<{ seq: string; entry: string }[]>(
      `SELECT seq::text AS seq, entry FROM audit_trail WHERE action = 'staff.create' ORDER BY seq LIMIT 1`,
    );
    const seq = Number(victim!.seq);
    await expect(t.ds.query(`UPDATE audit_trail SET entry = entry WHERE seq = $1`, [seq])).rejects.toThrow(
      /append-only/,
    );
    await t.ds.query('ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only');
    try {
      await t.ds.query(
        `UPDATE audit_trail SET entry = replace(entry, '"staff.create"', '"staff.reset"') WHERE seq = $1`,
        [seq],
      );
      const broken = await read(500);
      expect(broken.verification).toEqual({
        ok: false,
        entries: seq - 1,
        brokenAt: seq,
        reason: `entry ${seq} was changed after it was written`,
      });
      expect(broken.entries.find((e) => e.seq === seq)?.action).toBe('staff.reset');
    } finally {
      // Put back as it was: the chain verifies again (the rest of the suite shares this database).
      await t.ds.query('UPDATE audit_trail SET entry = $2 WHERE seq = $1', [seq, victim!.entry]);
      await t.ds.query('ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_append_only');
    }
    expect((await read(1)).verification).toMatchObject({ ok: true });
  });

  it('outside development mode, the seed gives each account its own one-time password, on stdout only', async () => {
    const db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_t_identity_seed');
    const run = () =>
      runScript('apps/identity/src/seed.ts', {
        NODE_ENV: 'production',
        IDENTITY_DATABASE_URL: db.url,
        DATABASE_URL: testEnv.DATABASE_URL,
        LOG_LEVEL: 'trace',
        REGISTRY_SEED_COUNT: '20',
        OTP_SECRET: 'a-production-otp-secret-of-32-chars!',
        STAFF_TOTP_KEY: 'a-production-staff-totp-key-of-32-chars',
        SIGNING_KEY_KEK: 'a-production-signing-key-kek-of-32-chars',
        SMS_GATEWAY_URL: 'https://sms.example.vn/v1/messages',
        SMS_GATEWAY_API_KEY: 'sms-gateway-test-key-0123',
        // The service's whole configuration is checked, though the seed uses neither Redis nor Kafka.
        REDIS_URL: testEnv.REDIS_URL,
        KAFKA_USERNAME: 'identity',
        KAFKA_PASSWORD: brokerKafkaPassword('identity'),
      });
    const ds = new DataSource({ type: 'postgres', url: db.url });
    try {
      const first = await run();
      expect(first.code).toBe(0);
      const rows = first.stdout
        .split('\n')
        .filter((l) => l && !l.startsWith('#') && !l.startsWith('username\t'))
        .map((l) => l.split('\t'));
      expect(rows).toHaveLength(41);
      const passwords = rows.map((r) => r[3]!);
      expect(new Set(passwords).size).toBe(41);
      // The log (stderr, at trace level) says what happened but holds no password.
      expect(first.stderr).toMatch(/created 41 staff accounts/);
      for (const p of passwords) expect(first.stderr).not.toContain(p);

      await ds.initialize();
      const stored = await ds.query<{ username: string; password_hash: string; must_change_password: boolean }[]>(
        'SELECT username, password_hash, must_change_password FROM staff_accounts ORDER BY username',
      );
      expect(stored).toHaveLength(41);
      expect(stored.every((s) => s.must_change_password)).toBe(true);
      const operator = rows.find((r) => r[0] === 'operator')!;
      const operatorHash = stored.find((s) => s.username === 'operator')!.password_hash;
      expect(await verify(operatorHash, operator[3]!)).toBe(true);
      expect(await verify(operatorHash, DEV_PASSWORD)).toBe(false);

      // A second run creates nothing and prints no password.
      const second = await run();
      expect(second.code).toBe(0);
      expect(second.stdout.trim()).toBe('');
      expect(second.stderr).toMatch(/none created/);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  }, 120_000);
});

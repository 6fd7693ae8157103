import type { Server } from 'node:http';
import { decodeJwt } from 'jose';
import request, { type Response } from 'supertest';
import { startIdentity, type IdentityTestApp } from '../../testing/identity-test-app';
import { totpCode } from './second-factor';
import { TOTP_ENROLMENT_TTL_SEC } from './staff-accounts.service';

const DEV_PASSWORD = 'hoso-dev-password';
const NEW_PASSWORD = 'Quảng-Trị-2026!';

interface Account {
  id: string;
  username: string;
  oneTimePassword: string;
}

interface EnrolmentRefusal {
  statusCode: number;
  next: string;
  message: string;
  enrolmentToken: string;
  enrolmentExpiresInSec: number;
}

/** A different client address per sign-in series, so throttling never carries from one test into another. */
let nextAddress = 10;
const freshAddress = () => `198.51.100.${nextAddress++}`;

describe('identity: mandatory staff TOTP (STAFF_TOTP_REQUIRED; real servers)', () => {
  let t: IdentityTestApp;
  /** The same database with STAFF_TOTP_REQUIRED=all. */
  let required: () => ReturnType<typeof request>;
  let operatorAuth: string;
  let made = 0;

  const signInOn = (http: () => ReturnType<typeof request>, body: Record<string, string>, source = '192.0.2.7') =>
    http().post('/auth/staff/tokens').set('X-Forwarded-For', source).send(body);
  const start = (token: string) => t.http().post('/auth/staff/totp-enrolment').send({ enrolmentToken: token });
  const confirm = (token: string, code: string) =>
    t.http().post('/auth/staff/totp-enrolment/confirm').send({ enrolmentToken: token, code });
  const refreshTokensOf = async (id: string) =>
    (
      await t.ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM refresh_tokens WHERE subject_type = 'staff' AND subject_id = $1`,
        [id],
      )
    )[0]!.n;

  async function createOfficer(): Promise<Account> {
    made += 1;
    const res = await t
      .http()
      .post('/staff')
      .set('Authorization', operatorAuth)
      .send({ username: `officer.req${made}`, agencyCode: 'P48', name: `Cán bộ ${made}` });
    expect(res.status).toBe(201);
    return res.body as Account;
  }

  /** A new officer through the forced password change, on the instance that requires TOTP: the enrolment step. */
  async function officerAtEnrolment(source = freshAddress()): Promise<{ account: Account; refusal: EnrolmentRefusal }> {
    const account = await createOfficer();
    const res = await signInOn(
      required,
      { username: account.username, password: account.oneTimePassword, newPassword: NEW_PASSWORD },
      source,
    );
    expect(res.status).toBe(403);
    return { account, refusal: res.body as EnrolmentRefusal };
  }

  beforeAll(async () => {
    t = await startIdentity();
    const other = await t.startAnother({ STAFF_TOTP_REQUIRED: 'all' });
    required = () => request(other.getHttpServer() as Server);
    const res = await signInOn(t.http, { username: 'operator', password: DEV_PASSWORD });
    expect(res.status).toBe(200);
    operatorAuth = `Bearer ${(res.body as { accessToken: string }).accessToken}`;
  });

  afterAll(async () => {
    await t.close();
  });

  it('gives no tokens before TOTP is set up: after the password change, the answer is an enrolment token', async () => {
    const source = freshAddress();
    const account = await createOfficer();
    // The forced password change comes first, as without the requirement.
    const first = await signInOn(required, { username: account.username, password: account.oneTimePassword }, source);
    expect(first.status).toBe(403);
    expect(first.body).toMatchObject({ next: 'change-password' });

    const changed = await signInOn(
      required,
      { username: account.username, password: account.oneTimePassword, newPassword: NEW_PASSWORD },
      source,
    );
    expect(changed.status).toBe(403);
    const body = changed.body as EnrolmentRefusal;
    expect(body).toMatchObject({
      statusCode: 403,
      next: 'enrol-totp',
      enrolmentExpiresInSec: TOTP_ENROLMENT_TTL_SEC,
      message: expect.stringMatching(/authenticator app \(TOTP\) must be set up/) as unknown,
    });
    expect(body.enrolmentToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(changed.body).not.toHaveProperty('accessToken');
    expect(changed.body).not.toHaveProperty('refreshToken');
    expect(await refreshTokensOf(account.id)).toBe(0);
    // Only a hash of the token is stored.
    const [row] = await t.ds.query<Record<string, unknown>[]>('SELECT * FROM staff_accounts WHERE id = $1', [
      account.id,
    ]);
    expect(JSON.stringify(row)).not.toContain(body.enrolmentToken);

    // The new password was kept: the one-time password no longer works, the new one leads to the same step, and
    // each such sign-in replaces the previous enrolment token.
    expect((await signInOn(required, { username: account.username, password: account.oneTimePassword })).status).toBe(
      401,
    );
    const again = await signInOn(required, { username: account.username, password: NEW_PASSWORD }, source);
    expect(again.status).toBe(403);
    const second = again.body as EnrolmentRefusal;
    expect(second.next).toBe('enrol-totp');
    expect(second.enrolmentToken).not.toBe(body.enrolmentToken);
    expect((await start(body.enrolmentToken)).status).toBe(401);
    // A code or a recovery code changes nothing: there is no second factor to check yet.
    const withCode = await signInOn(
      required,
      { username: account.username, password: NEW_PASSWORD, totpCode: '123456' },
      source,
    );
    expect(withCode.status).toBe(403);
    expect(withCode.body).toMatchObject({ next: 'enrol-totp' });
    // A wrong password is still the plain refusal.
    const wrong = await signInOn(required, { username: account.username, password: 'Not-the-password-1' }, source);
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toHaveProperty('next');
    expect(await refreshTokensOf(account.id)).toBe(0);
  });

  it('enrols with the token, opens the session with the first code, and then every sign-in needs a code', async () => {
    const source = freshAddress();
    const { account, refusal } = await officerAtEnrolment(source);
    const started = await start(refusal.enrolmentToken);
    expect(started.status).toBe(200);
    const { otpauthUri, secret } = started.body as { otpauthUri: string; secret: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toContain(`hoso:${account.username}?`);

    const right = totpCode(account.username, secret, t.clock.now());
    const wrongCode = await confirm(refusal.enrolmentToken, right === '000000' ? '000001' : '000000');
    expect(wrongCode.status).toBe(400);
    expect(await refreshTokensOf(account.id)).toBe(0);

    const confirmed = await confirm(refusal.enrolmentToken, right);
    expect(confirmed.status).toBe(200);
    const session = confirmed.body as { accessToken: string; refreshToken: string; recoveryCodes: string[] };
    expect(session.recoveryCodes).toHaveLength(10);
    expect(decodeJwt(session.accessToken)).toMatchObject({ sub: `officer:${account.username}`, agency: 'P48' });
    const me = await t.http().get('/staff/me').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
    expect(me.body).toMatchObject({ totpEnabled: true, recoveryCodesLeft: 10 });
    // The session refreshes like any other (the account has its second factor now).
    await required().post('/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200);
    // The token is spent.
    expect((await start(refusal.enrolmentToken)).status).toBe(401);
    expect((await confirm(refusal.enrolmentToken, right)).status).toBe(401);

    // From now on the password alone is not enough, on either instance; the code used to confirm is used.
    for (const http of [required, t.http]) {
      const passwordOnly = await signInOn(http, { username: account.username, password: NEW_PASSWORD }, source);
      expect(passwordOnly.status).toBe(401);
      expect(passwordOnly.body).toMatchObject({ next: 'totp' });
    }
    expect(
      (await signInOn(required, { username: account.username, password: NEW_PASSWORD, totpCode: right }, source))
        .status,
    ).toBe(401);
    t.clock.advance(30);
    const code = totpCode(account.username, secret, t.clock.now());
    const withCode = await signInOn(
      required,
      { username: account.username, password: NEW_PASSWORD, totpCode: code },
      source,
    );
    expect(withCode.status).toBe(200);
    const withRecovery = await signInOn(
      required,
      { username: account.username, password: NEW_PASSWORD, recoveryCode: session.recoveryCodes[0]! },
      source,
    );
    expect(withRecovery.status).toBe(200);
  });

  it('a token of the enrolment step opens nothing else, and dies with its time, a disable or a reset', async () => {
    const { account, refusal } = await officerAtEnrolment();
    const token = refusal.enrolmentToken;
    // Not an access token: every endpoint that wants a session refuses it.
    for (const [method, path] of [
      ['get', '/staff/me'],
      ['post', '/staff/me/totp'],
      ['post', '/staff/me/totp/confirm'],
      ['post', '/staff/me/password'],
      ['get', '/staff'],
      ['get', '/citizens/me'],
    ] as const) {
      const res = await (
        method === 'get' ? t.http().get(path) : t.http().post(path).send({ password: NEW_PASSWORD })
      ).set('Authorization', `Bearer ${token}`);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
    // Not a refresh token either.
    await t.http().post('/auth/refresh').send({ refreshToken: token }).expect(401);
    // Malformed: 400, nothing changes; unknown: 401.
    await t.http().post('/auth/staff/totp-enrolment').send({ enrolmentToken: 'short' }).expect(400);
    await t.http().post('/auth/staff/totp-enrolment').send({ enrolmentToken: token, extra: 1 }).expect(400);
    await confirm(token, '12ab56').expect(400);
    const unknown = await start('A'.repeat(43));
    expect(unknown.status).toBe(401);
    expect((unknown.body as { message: string }).message).toMatch(/expired or is not valid: sign in again/);

    // Valid for TOTP_ENROLMENT_TTL_SEC only.
    expect((await start(token)).status).toBe(200);
    t.clock.advance(TOTP_ENROLMENT_TTL_SEC + 1);
    expect((await start(token)).status).toBe(401);

    // A disable or a reset voids a fresh token too.
    const source = freshAddress();
    const fresh = async () => {
      const res = await signInOn(required, { username: account.username, password: NEW_PASSWORD }, source);
      expect(res.body).toMatchObject({ next: 'enrol-totp' });
      return (res.body as EnrolmentRefusal).enrolmentToken;
    };
    const beforeDisable = await fresh();
    await t.http().post(`/staff/${account.id}/disable`).set('Authorization', operatorAuth).send().expect(200);
    expect((await start(beforeDisable)).status).toBe(401);
    await t.http().post(`/staff/${account.id}/enable`).set('Authorization', operatorAuth).send().expect(200);
    const beforeReset = await fresh();
    await t.http().post(`/staff/${account.id}/reset`).set('Authorization', operatorAuth).send().expect(200);
    expect((await start(beforeReset)).status).toBe(401);
    const [row] = await t.ds.query<{ totp_enrol_token_hash: string | null }[]>(
      'SELECT totp_enrol_token_hash FROM staff_accounts WHERE id = $1',
      [account.id],
    );
    expect(row!.totp_enrol_token_hash).toBeNull();
  });

  it('not required (the development default): signs in with the password as before; `operator` asks operators only', async () => {
    const source = freshAddress();
    const account = await createOfficer();
    const res: Response = await signInOn(
      t.http,
      { username: account.username, password: account.oneTimePassword, newPassword: NEW_PASSWORD },
      source,
    );
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('accessToken');
    expect(t.config.staffTotpRequired).toBe('none');

    const operatorsOnly = await t.startAnother({ STAFF_TOTP_REQUIRED: 'operator' });
    const http = () => request(operatorsOnly.getHttpServer() as Server);
    expect((await signInOn(http, { username: account.username, password: NEW_PASSWORD }, source)).status).toBe(200);
    const operator = await signInOn(http, { username: 'operator', password: DEV_PASSWORD }, source);
    expect(operator.status).toBe(403);
    expect(operator.body).toMatchObject({ next: 'enrol-totp' });
  });

  it('ends a session begun before TOTP was required at its next refresh, asking for a new sign-in', async () => {
    const source = freshAddress();
    const account = await createOfficer();
    const res = await signInOn(
      t.http,
      { username: account.username, password: account.oneTimePassword, newPassword: NEW_PASSWORD },
      source,
    );
    expect(res.status).toBe(200);
    const { refreshToken } = res.body as { refreshToken: string };
    const refused = await required().post('/auth/refresh').send({ refreshToken });
    expect(refused.status).toBe(401);
    expect((refused.body as { message: string }).message).toMatch(/TOTP\) is now required .* sign in again/);
    // The whole session ended: not even the instance that does not require TOTP renews it.
    await t.http().post('/auth/refresh').send({ refreshToken }).expect(401);
    const denied = await t.ds.query<{ reason: string }[]>(
      `SELECT entry::jsonb ->> 'reason' AS reason FROM audit_trail
        WHERE action = 'token.refresh' AND outcome = 'denied' ORDER BY seq DESC LIMIT 2`,
    );
    expect(denied.map((d) => d.reason)).toEqual(['refresh token reused: session revoked', 'totp-required']);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request, { type Response } from 'supertest';
import { unregisteredPersonalId } from '@hoso/population';
import { CHALLENGE_LIMITS, CitizenSignInLimits, EXCHANGE_FAILURE_LIMITS } from './citizen/sign-in-limits';
import { startIdentity, TEST_REGISTRY_SIZE, type IdentityTestApp } from '../testing/identity-test-app';

/** A client: the device id it keeps (or none) and the address the gateway forwards for it. */
interface Client {
  device: string | null;
  address: string;
}

let addresses = 0;
const freshAddress = () => {
  addresses += 1;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
};
const freshDevice = () => randomBytes(16).toString('base64url');
const freshClient = (): Client => ({ device: freshDevice(), address: freshAddress() });

const retryAfterOf = (res: Response) => Number(res.headers['retry-after']);
const messageOf = (res: Response) => (res.body as { message: string }).message;

describe('identity: citizen sign-in limits per ID, device and address (real servers)', () => {
  let t: IdentityTestApp;
  /** Registered, alive, with a VNeID account: they receive codes and can sign in. */
  let eligible: string[];
  /** Every other registered ID, for the tests that only request codes. */
  let others: string[];
  let unknownIds = 0;

  const take = (pool: string[]) => {
    const pid = pool.shift();
    if (!pid) throw new Error('out of test citizens');
    return pid;
  };
  const nextCitizen = () => take(eligible);
  const nextUnknown = () => unregisteredPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE, unknownIds++);

  const withClient = (req: request.Test, from: Client) => {
    req.set('X-Forwarded-For', from.address);
    return from.device === null ? req : req.set('X-Device-Id', from.device);
  };
  const challenge = (pid: string, from: Client, app?: Server) =>
    withClient(
      (app ? request(app) : t.http()).post('/auth/citizen/challenges').send({ personalId: pid }),
      from,
    ) as Promise<Response>;
  const exchange = (challengeId: string, code: string, from: Client) =>
    withClient(t.http().post('/auth/citizen/tokens').send({ challengeId, code }), from) as Promise<Response>;

  /** A code request that must pass, and the code the development delivery wrote for it. */
  async function codeFor(pid: string, from: Client): Promise<{ challengeId: string; code: string }> {
    const c = await challenge(pid, from);
    expect(c.status).toBe(202);
    const otp = await t.otpFor(pid);
    expect(otp?.challengeId).toBe((c.body as { challengeId: string }).challengeId);
    return otp!;
  }

  async function signIn(pid: string, from: Client): Promise<void> {
    const otp = await codeFor(pid, from);
    expect((await exchange(otp.challengeId, otp.code, from)).status).toBe(200);
  }

  const wrongCode = (code: string) => (code === '000000' ? '000001' : '000000');

  /** Every bucket as stored, to show that a refused request changed none. */
  const limitRows = () =>
    t.ds.query<{ key: string; empty_at: Date }[]>('SELECT key, empty_at FROM citizen_signin_limits ORDER BY key');
  const challengesOf = async (pid: string) =>
    (
      await t.ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM otp_challenges WHERE personal_id = $1', [pid])
    )[0]!.n;

  beforeAll(async () => {
    t = await startIdentity();
    const ids = async (where: string) =>
      (
        await t.ds.query<{ personal_id: string }[]>(
          `SELECT personal_id FROM citizens WHERE ${where} ORDER BY personal_id`,
        )
      ).map((r) => r.personal_id);
    eligible = await ids('NOT deceased AND vneid_level > 0 AND phone IS NOT NULL');
    others = await ids('deceased OR vneid_level = 0 OR phone IS NULL');
    // The address test needs more IDs than the ineligible ones: it takes the rest from the end of the eligible list.
    expect(eligible.length + others.length).toBeGreaterThan(CHALLENGE_LIMITS.address.burst + 200);
  });

  afterAll(async () => {
    await t.close();
  });

  it('a stranger exhausting an ID from other devices never stops its citizen on a device they signed in from', async () => {
    const pid = nextCitizen();
    const phone = freshClient();
    await signIn(pid, phone);

    // Each request from a new device and address, so only the budget of the ID itself runs out.
    let served = 0;
    let refused: Response | undefined;
    while (!refused && served < 20) {
      const r = await challenge(pid, freshClient());
      if (r.status === 429) refused = r;
      else {
        expect(r.status).toBe(202);
        served += 1;
      }
    }
    // The citizen's own first request (from a device not yet known) took one.
    expect(served).toBe(CHALLENGE_LIMITS.personalId.burst - 1);
    expect(retryAfterOf(refused!)).toBeGreaterThanOrEqual(1);
    expect(retryAfterOf(refused!)).toBeLessThanOrEqual(CHALLENGE_LIMITS.personalId.everySec);
    expect(refused!.body).toMatchObject({ statusCode: 429, retryAfterSec: retryAfterOf(refused!) });

    // The device the citizen signed in from is not held back at all, and signs in again.
    await signIn(pid, phone);
    // A new device of the citizen (at home: same address) waits, but briefly.
    const laptop = { device: freshDevice(), address: phone.address };
    const waiting = await challenge(pid, laptop);
    expect(waiting.status).toBe(429);
    expect(retryAfterOf(waiting)).toBeLessThanOrEqual(CHALLENGE_LIMITS.personalId.everySec);
    t.clock.advance(retryAfterOf(waiting));
    await signIn(pid, laptop);
    // Now known too: the stranger, still hammering, no longer reaches it.
    expect((await challenge(pid, freshClient())).status).toBe(429);
    expect((await challenge(pid, laptop)).status).toBe(202);
  });

  it('failed codes from strangers hold back new devices of the ID briefly, never a known one', async () => {
    const pid = nextCitizen();
    const phone = freshClient();
    await signIn(pid, phone);

    // Two strangers' devices guess every attempt of a challenge each: the ID's failure budget is used up.
    expect(EXCHANGE_FAILURE_LIMITS.personalId.burst).toBe(10);
    for (let i = 0; i < 2; i++) {
      const stranger = freshClient();
      const otp = await codeFor(pid, stranger);
      for (let a = 0; a < 5; a++) {
        expect((await exchange(otp.challengeId, wrongCode(otp.code), stranger)).status).toBe(401);
      }
    }
    // A third device is refused before its code is even compared: the right code gets the same 429.
    const newcomer = freshClient();
    const otp = await codeFor(pid, newcomer);
    const refused = await exchange(otp.challengeId, otp.code, newcomer);
    expect(refused.status).toBe(429);
    expect(messageOf(refused)).toMatch(/^too many wrong codes; try again in \d+ s$/);
    expect(retryAfterOf(refused)).toBeLessThanOrEqual(EXCHANGE_FAILURE_LIMITS.personalId.everySec);
    const [challengeRow] = await t.ds.query<{ attempts: number; consumed_at: Date | null }[]>(
      'SELECT attempts, consumed_at FROM otp_challenges WHERE id = $1',
      [otp.challengeId],
    );
    expect(challengeRow).toEqual({ attempts: 0, consumed_at: null });

    // The citizen's known device signs in at once.
    await signIn(pid, phone);
    // The new device, once the short wait is over, with its code still valid.
    t.clock.advance(retryAfterOf(refused));
    expect((await exchange(otp.challengeId, otp.code, newcomer)).status).toBe(200);
  });

  it('slows failed codes per (ID, device), and a sign-in there starts them again from zero', async () => {
    const pid = nextCitizen();
    const client = freshClient();
    let failures = 0;
    while (failures < EXCHANGE_FAILURE_LIMITS.pair.burst) {
      const otp = await codeFor(pid, client);
      for (let a = 0; a < 5 && failures < EXCHANGE_FAILURE_LIMITS.pair.burst; a++, failures++) {
        expect((await exchange(otp.challengeId, wrongCode(otp.code), client)).status).toBe(401);
      }
    }
    const otp = await codeFor(pid, client);
    const refused = await exchange(otp.challengeId, otp.code, client);
    expect(refused.status).toBe(429);
    t.clock.advance(retryAfterOf(refused));
    expect((await exchange(otp.challengeId, otp.code, client)).status).toBe(200);
    const pairKeys = await t.ds.query<unknown[]>(
      `SELECT 1 FROM citizen_signin_limits WHERE key LIKE 'x:pair:' || $1 || '|%'`,
      [pid],
    );
    expect(pairKeys).toHaveLength(0);
  });

  it('limits codes per device over every ID, at its threshold, and only that device', async () => {
    const kiosk = freshClient();
    for (let i = 0; i < CHALLENGE_LIMITS.device.burst; i++) {
      expect((await challenge(take(others), kiosk)).status).toBe(202);
    }
    const refused = await challenge(take(others), kiosk);
    expect(refused.status).toBe(429);
    expect(retryAfterOf(refused)).toBeGreaterThanOrEqual(CHALLENGE_LIMITS.device.everySec - 2);
    expect(retryAfterOf(refused)).toBeLessThanOrEqual(CHALLENGE_LIMITS.device.everySec);
    // Another device at the same address is not affected.
    expect((await challenge(take(others), { device: freshDevice(), address: kiosk.address })).status).toBe(202);
    t.clock.advance(retryAfterOf(refused));
    expect((await challenge(take(others), kiosk)).status).toBe(202);
  });

  it('limits failed codes per device and per address, unknown challenge ids included', async () => {
    const prober = freshClient();
    for (let i = 0; i < EXCHANGE_FAILURE_LIMITS.device.burst; i++) {
      expect((await exchange(randomUUID(), '123456', prober)).status).toBe(401);
    }
    const refused = await exchange(randomUUID(), '123456', prober);
    expect(refused.status).toBe(429);
    expect(retryAfterOf(refused)).toBeLessThanOrEqual(EXCHANGE_FAILURE_LIMITS.device.everySec);

    // From one address, a new device each time: the address's ceiling, then only that address is refused.
    const address = freshAddress();
    let served = 0;
    let last: Response | undefined;
    const started = Date.now();
    for (;;) {
      last = await exchange(randomUUID(), '123456', { device: freshDevice(), address });
      if (last.status !== 401) break;
      served += 1;
    }
    expect(last.status).toBe(429);
    const drained = Math.ceil((Date.now() - started) / 1000 / EXCHANGE_FAILURE_LIMITS.address.everySec);
    expect(served).toBeGreaterThanOrEqual(EXCHANGE_FAILURE_LIMITS.address.burst);
    expect(served).toBeLessThanOrEqual(EXCHANGE_FAILURE_LIMITS.address.burst + drained);
    expect((await exchange(randomUUID(), '123456', freshClient())).status).toBe(401);
  });

  it('lets many citizens sign in from one shared address up to its high ceiling, then holds back that address only', async () => {
    const counter = freshAddress();
    // A public-service counter: one address, each citizen on the counter's kiosk or their own phone.
    const ids = [...others.splice(0), ...eligible.splice(-(CHALLENGE_LIMITS.address.burst + 20))];
    let served = 0;
    let last: Response | undefined;
    const started = Date.now();
    for (const pid of ids) {
      last = await challenge(pid, { device: served % 2 ? freshDevice() : null, address: counter });
      if (last.status !== 202) break;
      served += 1;
    }
    expect(last?.status).toBe(429);
    const drained = Math.ceil((Date.now() - started) / 1000 / CHALLENGE_LIMITS.address.everySec);
    expect(served).toBeGreaterThanOrEqual(CHALLENGE_LIMITS.address.burst);
    expect(served).toBeLessThanOrEqual(CHALLENGE_LIMITS.address.burst + drained);
    expect(retryAfterOf(last!)).toBeLessThanOrEqual(CHALLENGE_LIMITS.address.everySec);
    // Another address is not affected.
    expect((await challenge(nextCitizen(), freshClient())).status).toBe(202);
  });

  it('answers an unknown ID exactly as a registered one, refusals and Retry-After included', async () => {
    const answers = async (pid: string) => {
      const client = freshClient();
      const seen: [number, string | null, number | null][] = [];
      const note = (r: Response) =>
        seen.push([
          r.status,
          r.status >= 400 ? messageOf(r).replace(/\d+ s$/, 'N s') : Object.keys(r.body as object).join(','),
          r.status === 429 ? retryAfterOf(r) : null,
        ]);
      const sent: { challengeId: string; wrong: string }[] = [];
      for (let i = 0; i < CHALLENGE_LIMITS.pair.burst + 1; i++) {
        const r = await challenge(pid, client);
        note(r);
        if (r.status !== 202) continue;
        // A registered citizen's code is in the inbox; an unknown ID's challenge has none, so any code is wrong.
        const otp = await t.otpFor(pid);
        sent.push({ challengeId: (r.body as { challengeId: string }).challengeId, wrong: wrongCode(otp?.code ?? '') });
      }
      // Every attempt of two challenges wrong, then one more: the (ID, device) failures run out.
      for (const c of sent.slice(0, 2))
        for (let a = 0; a < 5; a++) note(await exchange(c.challengeId, c.wrong, client));
      note(await exchange(sent[2]!.challengeId, sent[2]!.wrong, client));
      return seen;
    };
    const registered = await answers(nextCitizen());
    const unknown = await answers(nextUnknown());
    const retryAfters = (s: typeof registered) => s.map(([, , r]) => r);
    expect(unknown.map(([s, m]) => [s, m])).toEqual(registered.map(([s, m]) => [s, m]));
    expect(registered.map(([s]) => s)).toEqual([202, 202, 202, 429, ...Array<number>(10).fill(401), 429]);
    // Waits computed from the same buckets, a few milliseconds apart.
    retryAfters(registered).forEach((r, i) => {
      if (r !== null) expect(Math.abs(r - retryAfters(unknown)[i]!)).toBeLessThanOrEqual(1);
    });
  });

  it('changes nothing when it refuses: no challenge, no code, no count; the refusal is in the audit trail', async () => {
    const pid = nextCitizen();
    const client = freshClient();
    for (let i = 0; i < CHALLENGE_LIMITS.pair.burst; i++) await codeFor(pid, client);
    const inbox = await t.otpFor(pid);
    const rows = await limitRows();
    const before = await challengesOf(pid);

    const refused = await challenge(pid, client);
    expect(refused.status).toBe(429);
    expect(Object.keys(refused.body as object).sort()).toEqual(
      ['correlationId', 'error', 'message', 'retryAfterSec', 'statusCode'].sort(),
    );
    expect(await challengesOf(pid)).toBe(before);
    expect(await t.otpFor(pid)).toEqual(inbox);
    expect(await limitRows()).toEqual(rows);

    const [record] = await t.ds.query<{ outcome: string; actor_sub: string; reason: string }[]>(
      `SELECT outcome, actor_sub, entry::jsonb ->> 'reason' AS reason FROM audit_trail
        WHERE action = 'signin.otp-challenge' AND entry::jsonb ->> 'correlationId' = $1`,
      [(refused.body as { correlationId: string }).correlationId],
    );
    expect(record).toEqual({
      outcome: 'denied',
      actor_sub: `citizen:${pid.slice(0, 4)}******${pid.slice(-2)}`,
      reason: 'rate limited: personal ID on this device',
    });
  });

  it('counts concurrent requests before answering them, so a burst gets no more codes than a sequence', async () => {
    const pid = nextCitizen();
    const client = freshClient();
    const answers = await Promise.all(Array.from({ length: 10 }, () => challenge(pid, client)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(CHALLENGE_LIMITS.pair.burst);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10 - CHALLENGE_LIMITS.pair.burst);
    expect(await challengesOf(pid)).toBe(CHALLENGE_LIMITS.pair.burst);
  });

  it('shares the limits between instances of the service', async () => {
    const other = (await t.startAnother()).getHttpServer() as Server;
    const pid = nextCitizen();
    const client = freshClient();
    for (let i = 0; i < CHALLENGE_LIMITS.pair.burst; i++) {
      expect((await challenge(pid, client, i % 2 ? other : undefined)).status).toBe(202);
    }
    expect((await challenge(pid, client, other)).status).toBe(429);
  });

  it('refuses a malformed X-Device-Id with 400 and stores nothing', async () => {
    const pid = nextCitizen();
    const rows = await limitRows();
    for (const bad of ['short', 'has spaces in it 0123456789', 'x'.repeat(129)]) {
      const r = await challenge(pid, { device: bad, address: freshAddress() });
      expect(r.status).toBe(400);
      expect(messageOf(r)).toMatch(/x-device-id/);
      expect((await exchange(randomUUID(), '123456', { device: bad, address: freshAddress() })).status).toBe(400);
    }
    expect(await challengesOf(pid)).toBe(0);
    expect(await limitRows()).toEqual(rows);
  });

  it('prunes empty buckets, and forgets a device a year after its last sign-in', async () => {
    const pid = nextCitizen();
    const phone = freshClient();
    await signIn(pid, phone);
    const limits = t.app.get(CitizenSignInLimits);
    const known = () =>
      t.ds.query<unknown[]>('SELECT 1 FROM citizen_known_devices WHERE personal_id = $1', [pid]).then((r) => r.length);
    expect(await known()).toBe(1);
    // Nothing is empty yet: a bucket just used stays.
    const rowsBefore = (await limitRows()).length;
    expect(rowsBefore).toBeGreaterThan(0);

    t.clock.advance(24 * 3600);
    const day = await limits.prune();
    expect(day.buckets).toBe(rowsBefore);
    expect(await limitRows()).toEqual([]);
    expect(await known()).toBe(1);

    t.clock.advance(365 * 24 * 3600);
    expect((await limits.prune()).devices).toBeGreaterThanOrEqual(1);
    expect(await known()).toBe(0);
  });
});

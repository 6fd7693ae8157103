import { randomUUID } from 'node:crypto';
import { DataSource, type QueryRunner } from 'typeorm';
import { eventually } from '@hoso/testing';
import { maritalStatusForm, startIntake, TEST_PROCEDURE, type IntakeTestApp } from '../../testing/intake-test-app';

jest.setTimeout(120_000);

const CITIZEN = '001090000731';
const AGENCY = 'C00070'; // Phường Hoàn Kiếm, Hà Nội

interface Change {
  id: string;
  status: string;
  statusAt: string;
}

interface ChangesPage {
  items: Change[];
  nextCursor: string;
}

describe('intake: the dossier change feed (GET /dossiers/changes)', () => {
  let t: IntakeTestApp;
  let ds: DataSource;
  let operator: string;
  let citizen: string;
  let officer: string;
  let template: string;

  beforeAll(async () => {
    t = await startIntake();
    ds = t.app.get(DataSource);
    operator = await t.env.issuer.operator();
    citizen = await t.env.issuer.citizen(CITIZEN, { name: 'Nguyễn Văn An' });
    officer = await t.env.issuer.officer(AGENCY);
    const res = await t
      .http()
      .post('/dossiers')
      .set(bearer(citizen))
      .set('Idempotency-Key', `feed-${randomUUID()}`)
      .send({ procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN), attachmentIds: [] });
    expect(res.status).toBe(202);
    template = (res.body as { id: string }).id;
  });

  afterAll(async () => {
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function read(after: string | null, limit = 500): Promise<ChangesPage> {
    const query = `${after === null ? '' : `after=${encodeURIComponent(after)}&`}limit=${limit}`;
    const res = await t.http().get(`/dossiers/changes?${query}`).set(bearer(operator));
    expect(res.status).toBe(200);
    return res.body as ChangesPage;
  }

  /** `n` new dossiers copied from the submitted one (a submission per dossier would only slow the test down). */
  async function dossiers(n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => randomUUID());
    await t.query(
      `INSERT INTO dossiers
       SELECT (jsonb_populate_record(d, jsonb_build_object('id', n.id, 'receipt_code', 'FEED-' || n.id))).*
       FROM dossiers d, unnest($2::uuid[]) AS n(id) WHERE d.id = $1`,
      [template, ids],
    );
    return ids;
  }

  /** Moves the status as intake's writers do; `status_at` grows by a second per change, to tell changes apart. */
  const setStatus = (m: Pick<QueryRunner, 'query'>, id: string, status: string) =>
    m.query(`UPDATE dossiers SET status = $2, status_at = status_at + interval '1 second' WHERE id = $1`, [id, status]);

  /**
   * Reads from `cursor` until `done` holds for everything read, `limit` at a time; with `only`, keeps the changes of
   * those dossiers (`now` starts at the oldest open transaction of the server, so it may also show changes committed
   * shortly before).
   */
  async function follow(cursor: string | null, done: (seen: Change[]) => boolean, limit = 500, only?: string[]) {
    const seen: Change[] = [];
    let at = cursor;
    await eventually('the feed to show the changes', async () => {
      for (;;) {
        const page = await read(at, limit);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.filter((i) => !only || only.includes(i.id)));
        at = page.nextCursor;
        if (page.items.length < limit) break;
      }
      return done(seen);
    });
    return { seen, cursor: at ?? '' };
  }

  it('is for operators only: citizens and officers are refused, a malformed cursor is a 400', async () => {
    for (const token of [citizen, officer]) {
      expect((await t.http().get('/dossiers/changes').set(bearer(token))).status).toBe(403);
    }
    expect((await t.http().get('/dossiers/changes')).status).toBe(401);
    expect((await t.http().get('/dossiers/changes?after=bm90LWEtY3Vyc29y').set(bearer(operator))).status).toBe(400);
    expect((await t.http().get('/dossiers/changes?limit=0').set(bearer(operator))).status).toBe(400);
  });

  it('hands out each dossier at its latest change, in change order, page after page', async () => {
    const start = (await read('now')).nextCursor;
    expect((await read('now')).items).toEqual([]);
    const [a, b, c] = (await dossiers(3)) as [string, string, string];
    // Created (in one transaction), then: b, c, a moved, and a moved again.
    await setStatus(ds.manager, b, 'IDENTITY_VERIFIED');
    await setStatus(ds.manager, c, 'IDENTITY_VERIFIED');
    await setStatus(ds.manager, a, 'IDENTITY_VERIFIED');
    await setStatus(ds.manager, a, 'AWAITING_PAYMENT');
    // An update that leaves the status as it is is not a change.
    await t.query(`UPDATE dossiers SET handling_agency_code = handling_agency_code WHERE id = $1`, [b]);

    const { seen, cursor } = await follow(start, (s) => s.length >= 3, 2, [a, b, c]);
    expect(seen.map((x) => [x.id, x.status])).toEqual([
      [b, 'IDENTITY_VERIFIED'],
      [c, 'IDENTITY_VERIFIED'],
      [a, 'AWAITING_PAYMENT'],
    ]);
    // Read to the end: nothing more from there, and the cursor stays usable.
    const after = await read(cursor);
    expect(after.items.filter((i) => [a, b, c].includes(i.id))).toEqual([]);
    await setStatus(ds.manager, c, 'PAID');
    const next = await follow(after.nextCursor, (s) => s.length >= 1, 500, [a, b, c]);
    expect(next.seen.map((x) => [x.id, x.status])).toEqual([[c, 'PAID']]);

    // From the same start again: the same dossiers at their latest changes; without a cursor, from the feed's
    // beginning, which starts with the submitted dossier (never changed since).
    const again = await follow(start, (s) => s.length >= 3, 500, [a, b, c]);
    expect(again.seen.map((x) => [x.id, x.status])).toEqual([
      [b, 'IDENTITY_VERIFIED'],
      [a, 'AWAITING_PAYMENT'],
      [c, 'PAID'],
    ]);
    const whole = await follow(null, (s) => s.length >= 4);
    expect(whole.seen.map((x) => x.id)).toEqual([template, b, a, c]);
  });

  it('misses no change committed out of order: a change waits for the transactions older than it', async () => {
    const [x, y] = (await dossiers(2)) as [string, string];
    const start = (await read('now')).nextCursor;
    const first = ds.createQueryRunner();
    const second = ds.createQueryRunner();
    try {
      await first.startTransaction();
      await setStatus(first, x, 'IDENTITY_VERIFIED'); // stamped first, committed last
      await second.startTransaction();
      await setStatus(second, y, 'IDENTITY_VERIFIED');
      await second.commitTransaction();
      // y is committed, but an older transaction is still open: a reader that moved past y now would never see x.
      const early = await read(start);
      expect(early.items.map((i) => i.id)).not.toContain(y);
      await first.commitTransaction();
      const { seen } = await follow(early.nextCursor, (s) => s.length >= 2, 500, [x, y]);
      expect(seen.map((i) => i.id)).toEqual([x, y]);
    } finally {
      await first.release();
      await second.release();
    }
  });

  it('a reader following the feed during concurrent writers ends with every dossier at its final status', async () => {
    const ids = await dossiers(30);
    const start = (await read('now')).nextCursor;
    const statuses = ['IN_PROCESS', 'SUPPLEMENT_REQUESTED'];
    let writing = true;
    const writer = async (w: number) => {
      for (let i = 0; i < 25; i++) {
        const runner = ds.createQueryRunner();
        try {
          await runner.startTransaction();
          // A few dossiers per transaction, in an order of the writer's, with a pause inside the transaction so
          // that transactions overlap and commit in another order than they stamped their changes.
          const picked = [ids[(w * 7 + i * 3) % ids.length], ids[(w * 11 + i * 5 + 1) % ids.length]] as string[];
          for (const id of [...new Set(picked)].sort()) {
            // Always a change (an update to the same status is none, and the feed does not show it).
            await runner.query(
              `UPDATE dossiers SET status = CASE status WHEN $2 THEN $3 ELSE $2 END,
                 status_at = status_at + interval '1 second' WHERE id = $1`,
              [id, ...statuses],
            );
          }
          await runner.query(`SELECT pg_sleep($1)`, [((w * 13 + i * 7) % 5) / 1000]);
          await runner.commitTransaction();
        } catch (e) {
          await runner.rollbackTransaction();
          throw e;
        } finally {
          await runner.release();
        }
      }
    };
    const latest = new Map<string, Change>();
    let cursor = start;
    const reader = async () => {
      while (writing) {
        const page = await read(cursor, 7);
        for (const item of page.items) {
          // A dossier's changes come in the order they were made: its status time never goes back.
          const before = latest.get(item.id);
          if (before) expect(Date.parse(item.statusAt)).toBeGreaterThan(Date.parse(before.statusAt));
          latest.set(item.id, item);
        }
        cursor = page.nextCursor;
      }
    };
    const reading = reader();
    try {
      await Promise.all([0, 1, 2, 3].map(writer));
    } finally {
      writing = false;
    }
    await reading;

    const final = await t.query<{ id: string; status: string; status_at: Date }>(
      `SELECT id, status, status_at FROM dossiers WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const expected = new Map(final.map((r) => [r.id, `${r.status} ${r.status_at.toISOString()}`]));
    await follow(cursor, (seen) => {
      for (const item of seen) latest.set(item.id, item);
      const got = new Map([...latest].map(([id, c]) => [id, `${c.status} ${c.statusAt}`]));
      return [...expected].every(([id, v]) => got.get(id) === v);
    });
    expect([...latest.keys()].filter((id) => !expected.has(id))).toEqual([]);
  });
});

import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'superagent';
import pg from 'pg';
import { MessagingService } from '@hoso/messaging';
import { eventually } from '@hoso/testing';
import {
  maritalStatusForm,
  pdfBytes,
  startIntake,
  TEST_PROCEDURE,
  type IntakeTestApp,
} from './testing/intake-test-app';

jest.setTimeout(60_000);

const CITIZEN = '001090000123';
const OTHER_CITIZEN = '079185000456';
const AGENCY = 'C00070'; // Phường Hoàn Kiếm, Hà Nội

interface Page<T> {
  items: T[];
  total: number;
}

describe('intake service: submission and reads', () => {
  let t: IntakeTestApp;
  let citizen: string;
  let other: string;

  beforeAll(async () => {
    t = await startIntake();
    citizen = await t.env.issuer.citizen(CITIZEN, { name: 'Nguyễn Văn An' });
    other = await t.env.issuer.citizen(OTHER_CITIZEN);
  });

  afterAll(async () => {
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function upload(token: string, content = pdfBytes(), name = 'giay-to.pdf', type = 'application/pdf') {
    return t
      .http()
      .post('/attachments')
      .set(bearer(token))
      .attach('file', content, { filename: name, contentType: type });
  }

  async function submit(token: string, key: string, body: Record<string, unknown>) {
    return t.http().post('/dossiers').set(bearer(token)).set('Idempotency-Key', key).send(body);
  }

  const dossierCount = async () => Number((await t.query<{ n: string }>('SELECT count(*) AS n FROM dossiers'))[0]?.n);
  const outboxCount = async () =>
    Number((await t.query<{ n: string }>('SELECT count(*) AS n FROM messaging_outbox'))[0]?.n);

  describe('submission', () => {
    it('answers 202 with a receipt code, stores one dossier and emits exactly one complete dossier.submitted.v1', async () => {
      const attachment = (await upload(citizen)).body as { id: string; sha256: string };
      const res = await submit(citizen, `happy-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        attachmentIds: [attachment.id],
      });
      expect(res.status).toBe(202);
      const answer = res.body as { id: string; receiptCode: string; status: string };
      expect(answer.status).toBe('SUBMITTED');
      expect(answer.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
      expect(answer.receiptCode).toMatch(/^C00070-\d{6}-\d{6}$/);
      const rows = await t.query<{ status: string; channel: string }>('SELECT * FROM dossiers WHERE id = $1', [
        answer.id,
      ]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'SUBMITTED', channel: 'ONLINE' });

      const event = await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === answer.id);
      expect(event.payload).toMatchObject({
        dossierId: answer.id,
        receiptCode: answer.receiptCode,
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        provinceCode: '01',
        channel: 'ONLINE',
        serviceLevel: 'FULL',
        applicant: { personalId: CITIZEN, fullName: 'Nguyễn Văn An', birthDate: '1990-05-01' },
        requiredVneidLevel: 2,
        feeVnd: 5000,
        processingWorkingDays: 3,
        form: maritalStatusForm(CITIZEN),
        prefilledFields: 0,
        formFieldCount: 9,
        attachments: [
          {
            id: attachment.id,
            fileName: 'giay-to.pdf',
            contentType: 'application/pdf',
            sizeBytes: 2048,
            sha256: attachment.sha256,
          },
        ],
      });
      expect(event.correlationId).toBeTruthy();
      // A used attachment cannot be attached again.
      const reuse = await submit(citizen, `reuse-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        attachmentIds: [attachment.id],
      });
      expect(reuse.status).toBe(400);
      expect(t.tap.matching('dossier.submitted.v1', (e) => e.dossierId === answer.id)).toHaveLength(1);
    });

    it('is idempotent per key: same body → same answer, one dossier, one event; other body → 409', async () => {
      const key = `idem-${randomUUID()}`;
      const body = { procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) };
      const first = await submit(citizen, key, body);
      expect(first.status).toBe(202);
      // Same body with keys in another order: the canonical hash is the same.
      const reordered = { form: maritalStatusForm(CITIZEN), agencyCode: AGENCY, procedureCode: TEST_PROCEDURE };
      const again = await submit(citizen, key, reordered);
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const id = (first.body as { id: string }).id;
      const conflict = await submit(citizen, key, {
        ...body,
        form: maritalStatusForm(CITIZEN, { phone: '0987654321' }),
      });
      expect(conflict.status).toBe(409);
      // The key belongs to its caller: another citizen using it gets their own dossier.
      const otherCaller = await submit(other, key, { ...body, form: maritalStatusForm(OTHER_CITIZEN) });
      expect(otherCaller.status).toBe(202);
      expect((otherCaller.body as { id: string }).id).not.toBe(id);

      const stored = await t.query<{ dossier_id: string }>(
        'SELECT dossier_id FROM idempotency_keys WHERE caller_sub = $1 AND key = $2',
        [`citizen:${CITIZEN}`, key],
      );
      expect(stored).toEqual([{ dossier_id: id }]);
      expect(await t.query('SELECT 1 FROM dossiers WHERE id = $1', [id])).toHaveLength(1);
      const outbox = await t.query(
        `SELECT 1 FROM messaging_outbox WHERE topic LIKE '%dossier.submitted.v1' AND key = $1`,
        [id],
      );
      expect(outbox).toHaveLength(1);
      // The other caller's event is published after ours (one relay, id order): once it is seen, ours is final.
      await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === (otherCaller.body as { id: string }).id);
      expect(t.tap.matching('dossier.submitted.v1', (e) => e.dossierId === id)).toHaveLength(1);
    });

    it('answers concurrent retries of one key with one dossier', async () => {
      const key = `race-${randomUUID()}`;
      const body = { procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) };
      const answers = await Promise.all(Array.from({ length: 5 }, () => submit(citizen, key, body)));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set(answers.map((a) => (a.body as { id: string }).id)).size).toBe(1);
      const rows = await t.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key]);
      expect(rows).toHaveLength(1);
    });

    it('numbers receipts per agency and Vietnamese day, without gaps or duplicates under concurrency', async () => {
      // 20:00 UTC on 15 March is already 16 March in Vietnam; no other test submits on that day.
      t.clock.set(new Date('2026-03-15T20:00:00Z'));
      try {
        const body = { procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) };
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) => submit(citizen, `seq-${i}-${randomUUID()}`, body)),
        );
        const codes = answers.map((a) => (a.body as { receiptCode: string }).receiptCode).sort();
        expect(codes).toEqual([1, 2, 3, 4, 5, 6].map((n) => `C00070-260316-00000${n}`));
        const other = await submit(citizen, `seq-p-${randomUUID()}`, { ...body, agencyCode: 'C00082' });
        expect((other.body as { receiptCode: string }).receiptCode).toBe('C00082-260316-000001');
      } finally {
        t.clock.set(null);
      }
    });

    it('answers 20 parallel submissions with one key with exactly one dossier, one event and one receipt', async () => {
      const key = `race20-${randomUUID()}`;
      const body = { procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) };
      const answers = await Promise.all(Array.from({ length: 20 }, () => submit(citizen, key, body)));
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 202));
      const ids = new Set(answers.map((a) => (a.body as { id: string }).id));
      expect(ids.size).toBe(1);
      expect(new Set(answers.map((a) => (a.body as { receiptCode: string }).receiptCode)).size).toBe(1);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
      const [id] = [...ids];
      expect(await t.query('SELECT 1 FROM dossiers WHERE id = $1', [id])).toHaveLength(1);
      expect(await t.query('SELECT 1 FROM dossier_status_history WHERE dossier_id = $1', [id])).toHaveLength(1);
      expect(await t.query('SELECT 1 FROM messaging_outbox WHERE key = $1', [id])).toHaveLength(1);
      expect(await t.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).toHaveLength(1);
    });

    it('gives 200 concurrent submissions to one agency 200 distinct receipt numbers of that day', async () => {
      t.clock.set(new Date('2026-04-01T03:00:00Z'));
      try {
        const body = { procedureCode: TEST_PROCEDURE, agencyCode: 'C00166', form: maritalStatusForm(CITIZEN) };
        const answers = await Promise.all(
          Array.from({ length: 200 }, (_, i) => submit(citizen, `many-${i}-${randomUUID()}`, body)),
        );
        expect(answers.filter((a) => a.status !== 202).map((a) => a.status)).toEqual([]);
        const codes = answers.map((a) => (a.body as { receiptCode: string }).receiptCode);
        expect(new Set(codes).size).toBe(200);
        for (const code of codes) expect(code).toMatch(/^C00166-260401-\d{6}$/);
        const stored = await t.query<{ receipt_code: string }>(
          `SELECT receipt_code FROM dossiers WHERE receipt_code LIKE 'C00166-260401-%'`,
        );
        expect(stored.map((r) => r.receipt_code).sort()).toEqual([...codes].sort());
        // The counter row is ahead of every number handed out (the rest of the last block is reserved, unused).
        const [counter] = await t.query<{ last_value: number }>(
          `SELECT last_value FROM receipt_counters WHERE agency_code = 'C00166' AND day = '2026-04-01'`,
        );
        const highest = Math.max(...codes.map((c) => Number(c.slice(-6))));
        expect(counter?.last_value).toBeGreaterThanOrEqual(highest);
      } finally {
        t.clock.set(null);
      }
    });

    it('replays an accepted submission with attachments, although they are claimed now', async () => {
      const attachment = (await upload(citizen)).body as { id: string };
      const key = `att-replay-${randomUUID()}`;
      const body = {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        attachmentIds: [attachment.id],
      };
      const first = await submit(citizen, key, body);
      expect(first.status).toBe(202);
      const again = await submit(citizen, key, body);
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      // Another body with the same key is still a conflict, even when that body is invalid on its own.
      const other = await submit(citizen, key, { ...body, agencyCode: 'C99999' });
      expect(other.status).toBe(409);
    });

    it('refuses a bad form with per-field errors, storing nothing and emitting nothing', async () => {
      const attachment = (await upload(citizen)).body as { id: string };
      const [dossiers, outbox] = [await dossierCount(), await outboxCount()];
      const key = `bad-${randomUUID()}`;
      const res = await submit(citizen, key, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN, { applicantGender: 'X', phone: undefined, favouriteColour: 'blue' }),
        attachmentIds: [attachment.id],
      });
      expect(res.status).toBe(400);
      const issues = (res.body as { issues: { path: string; message: string }[] }).issues;
      expect(issues).toEqual(
        expect.arrayContaining([
          { path: 'form.applicantGender', message: expect.stringMatching(/one of/) as unknown },
          { path: 'form.phone', message: 'is required' },
          { path: 'form.favouriteColour', message: 'is not a field of this form' },
        ]),
      );
      expect(await dossierCount()).toBe(dossiers);
      expect(await outboxCount()).toBe(outbox);
      const [att] = await t.query<{ dossier_id: string | null }>('SELECT dossier_id FROM attachments WHERE id = $1', [
        attachment.id,
      ]);
      expect(att?.dossier_id).toBeNull();
      // The failed attempt did not consume the key: the corrected form with the same key is accepted.
      expect(await t.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).toHaveLength(0);
      const fixed = await submit(citizen, key, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        attachmentIds: [attachment.id],
      });
      expect(fixed.status).toBe(202);
    });

    it('refuses unknown body fields, a missing Idempotency-Key, a wrong agency level and others’ attachments', async () => {
      const [dossiers, outbox] = [await dossierCount(), await outboxCount()];
      const base = { procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) };
      const unknown = await submit(citizen, `unk-${randomUUID()}`, { ...base, priority: 'urgent' });
      expect(unknown.status).toBe(400);
      expect((unknown.body as { message: string }).message).toMatch(/priority/);
      const noKey = await t.http().post('/dossiers').set(bearer(citizen)).send(base);
      expect(noKey.status).toBe(400);
      expect((noKey.body as { message: string }).message).toMatch(/Idempotency-Key/);
      const shortKey = await submit(citizen, 'short', base);
      expect(shortKey.status).toBe(400);
      const province = await submit(citizen, `lvl-${randomUUID()}`, { ...base, agencyCode: 'P01' });
      expect(province.status).toBe(400);
      expect((province.body as { issues: { path: string }[] }).issues[0]?.path).toBe('agencyCode');
      const missingAgency = await submit(citizen, `na-${randomUUID()}`, { ...base, agencyCode: 'C99999' });
      expect(missingAgency.status).toBe(400);
      const foreign = (await upload(other)).body as { id: string };
      const notMine = await submit(citizen, `nm-${randomUUID()}`, { ...base, attachmentIds: [foreign.id] });
      expect(notMine.status).toBe(400);
      expect((notMine.body as { issues: { path: string }[] }).issues[0]?.path).toBe('attachmentIds.0');
      const someoneElse = await submit(citizen, `se-${randomUUID()}`, {
        ...base,
        form: maritalStatusForm(CITIZEN, { applicantPersonalId: OTHER_CITIZEN }),
      });
      expect(someoneElse.status).toBe(400);
      expect(await dossierCount()).toBe(dossiers);
      expect(await outboxCount()).toBe(outbox);
    });

    it('counts the fields prefilled from a valid prefill token', async () => {
      const prefillToken = await t.env.issuer.sign(
        {
          sub: `citizen:${CITIZEN}`,
          pid: CITIZEN,
          values: {
            fullName: 'Nguyễn Văn An',
            birthDate: '1990-05-01',
            personalId: CITIZEN,
            gender: 'Nam',
            permanentAddress: 'Số 9 Hàng Bài, Hà Nội',
          },
        } as never,
        { audience: 'hoso-prefill' },
      );
      const res = await submit(citizen, `pf-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        prefillToken,
      });
      expect(res.status).toBe(202);
      const id = (res.body as { id: string }).id;
      // name, personal ID, birth date and gender match; the address was changed by the citizen.
      const [row] = await t.query<{ prefilled_fields: number; form_field_count: number }>(
        'SELECT prefilled_fields, form_field_count FROM dossiers WHERE id = $1',
        [id],
      );
      expect(row).toEqual({ prefilled_fields: 4, form_field_count: 9 });
      const event = await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === id);
      expect(event.payload).toMatchObject({ prefilledFields: 4, formFieldCount: 9 });

      const otherPerson = await t.env.issuer.sign({ sub: 'x', pid: OTHER_CITIZEN, values: {} } as never, {
        audience: 'hoso-prefill',
      });
      const mismatch = await submit(citizen, `pf2-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        prefillToken: otherPerson,
      });
      expect(mismatch.status).toBe(400);
      // An access token is not a prefill token (other audience).
      const wrongAudience = await submit(citizen, `pf3-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        prefillToken: citizen,
      });
      expect(wrongAudience.status).toBe(400);
      expect((wrongAudience.body as { issues: { path: string }[] }).issues[0]?.path).toBe('prefillToken');
    });

    it('lets an officer submit at the counter for an applicant, only to their own agency', async () => {
      const officer = await t.env.issuer.officer(AGENCY);
      const body = {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm('001190000777', { applicantName: 'Trần Thị Bình' }),
        applicant: { personalId: '001190000777', fullName: 'Trần Thị Bình', birthDate: '1990-05-01' },
      };
      const res = await submit(officer, `ctr-${randomUUID()}`, body);
      expect(res.status).toBe(202);
      const id = (res.body as { id: string }).id;
      const event = await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === id);
      expect(event.payload).toMatchObject({ channel: 'COUNTER', applicant: body.applicant });
      const elsewhere = await t.env.issuer.officer('C00082');
      expect((await submit(elsewhere, `ctr2-${randomUUID()}`, body)).status).toBe(403);
      expect((await submit(officer, `ctr3-${randomUUID()}`, { ...body, applicant: undefined })).status).toBe(400);
      // A citizen cannot name another applicant.
      expect((await submit(citizen, `ctr4-${randomUUID()}`, body)).status).toBe(400);
    });
  });

  describe('cost of a submission', () => {
    /**
     * Counts the statements the process sends to PostgreSQL (every pg client, pool or not) while `work` runs.
     * The relay is paused meanwhile so its polling is not counted; nothing else in this file talks to the
     * database in the background (no events arrive for the status projection).
     */
    async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
      const relay = t.app.get(MessagingService).relay;
      await relay?.stop();
      const seen: string[] = [];
      const original = pg.Client.prototype.query;
      const counting = function (this: pg.Client, ...args: unknown[]) {
        const first = args[0];
        seen.push(typeof first === 'string' ? first : ((first as { text?: string }).text ?? '?'));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      pg.Client.prototype.query = counting as typeof original;
      try {
        await work();
      } finally {
        pg.Client.prototype.query = original;
        relay?.start();
      }
      return seen;
    }

    it('takes at most 3 round trips to PostgreSQL per submission after warm-up, and 1 on the normal path', async () => {
      const body = { procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) };
      // Warm-up: reference data loaded, a receipt block reserved for the agency and day.
      expect((await submit(citizen, `warm-${randomUUID()}`, body)).status).toBe(202);
      const perSubmission: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const statements = await statementsDuring(async () => {
          const res = await submit(citizen, `cost-${i}-${randomUUID()}`, body);
          expect(res.status).toBe(202);
          ids.push((res.body as { id: string }).id);
        });
        perSubmission.push(statements.length);
      }
      expect(Math.max(...perSubmission)).toBeLessThanOrEqual(3);
      // The round trip that writes is one statement: no BEGIN/COMMIT pair around it.
      expect(perSubmission.filter((n) => n === 1).length).toBeGreaterThanOrEqual(9);
      // A replay of a key costs no more, and answers the same.
      const key = `cost-replay-${randomUUID()}`;
      const first = await submit(citizen, key, body);
      const replayStatements = await statementsDuring(async () => {
        const again = await submit(citizen, key, body);
        expect(again.status).toBe(202);
        expect(again.body).toEqual(first.body);
      });
      expect(replayStatements.length).toBeLessThanOrEqual(3);
      // Every one of them was written completely, and its event reaches Kafka once the relay runs again.
      for (const id of ids) await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === id);
      expect(
        await t.query('SELECT 1 FROM dossier_status_history WHERE dossier_id = ANY($1::uuid[])', [ids]),
      ).toHaveLength(ids.length);
    });
  });

  describe('reads', () => {
    let id: string;
    let receiptCode: string;

    beforeAll(async () => {
      const res = await submit(citizen, `read-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
      });
      ({ id, receiptCode } = res.body as { id: string; receiptCode: string });
    });

    it('shows the applicant their dossier with status and history, by id and by receipt code', async () => {
      const res = await t.http().get(`/dossiers/${id}`).set(bearer(citizen)).expect(200);
      expect(res.body).toMatchObject({
        id,
        receiptCode,
        status: 'SUBMITTED',
        agencyCode: AGENCY,
        applicant: { personalId: CITIZEN },
        history: [{ status: 'SUBMITTED', applied: true, source: 'intake' }],
      });
      const byReceipt = await t.http().get(`/dossiers/by-receipt/${receiptCode}`).set(bearer(citizen)).expect(200);
      expect((byReceipt.body as { id: string }).id).toBe(id);
      const mine = (await t.http().get('/dossiers?status=SUBMITTED').set(bearer(citizen)).expect(200)).body as Page<{
        id: string;
      }>;
      expect(mine.items.map((d) => d.id)).toContain(id);
      const theirs = (await t.http().get('/dossiers').set(bearer(other)).expect(200)).body as Page<{ id: string }>;
      expect(theirs.items.map((d) => d.id)).not.toContain(id);
    });

    it("answers 404 and writes an audit line when a citizen reads someone else's dossier", async () => {
      const res = await t.http().get(`/dossiers/${id}`).set(bearer(other)).set('X-Correlation-Id', 'snoop-1');
      expect(res.status).toBe(404);
      expect((await t.http().get(`/dossiers/by-receipt/${receiptCode}`).set(bearer(other))).status).toBe(404);
      const line = await eventually('audit line', () =>
        Promise.resolve(t.logLines.find((l) => l['audit'] === true && l['correlationId'] === 'snoop-1')),
      );
      expect(line).toMatchObject({
        action: 'dossier.read',
        outcome: 'denied',
        actor: { sub: `citizen:${OTHER_CITIZEN}`, role: 'citizen' },
        resource: `dossier:${id}`,
      });
      // …and an audit record, although the read's transaction rolled back with the 404.
      const records = await t.query(
        `SELECT outcome, actor_sub FROM audit_trail WHERE action = 'dossier.read' AND entry::jsonb ->> 'correlationId' = $1`,
        ['snoop-1'],
      );
      expect(records).toEqual([{ outcome: 'denied', actor_sub: `citizen:${OTHER_CITIZEN}` }]);
      // Same answer as a dossier that does not exist.
      expect((await t.http().get(`/dossiers/${randomUUID()}`).set(bearer(other))).status).toBe(404);
      expect((await t.http().get('/dossiers/not-a-uuid').set(bearer(other))).status).toBe(404);
    });

    it("scopes officers to their agency's dossiers and lets operators read all", async () => {
      const own = await t.env.issuer.officer(AGENCY);
      const foreign = await t.env.issuer.officer('P01');
      await t.http().get(`/dossiers/${id}`).set(bearer(own)).expect(200);
      await t.http().get(`/dossiers/${id}`).set(bearer(foreign)).expect(404);
      expect(
        t.logLines.some((l) => l['audit'] === true && (l['actor'] as { sub?: string }).sub === 'officer:P01'),
      ).toBe(true);
      const listed = (await t.http().get('/dossiers?pageSize=100').set(bearer(own)).expect(200)).body as Page<{
        agencyCode: string;
      }>;
      expect(listed.items.length).toBeGreaterThan(0);
      for (const d of listed.items) expect(d.agencyCode).toBe(AGENCY);
      expect(
        ((await t.http().get('/dossiers').set(bearer(foreign)).expect(200)).body as Page<unknown>).items,
      ).toHaveLength(0);
      await t
        .http()
        .get(`/dossiers/${id}`)
        .set(bearer(await t.env.issuer.operator()))
        .expect(200);
    });
  });

  describe('attachment download', () => {
    const NAME = 'Giấy khai sinh – bản sao.pdf';
    const content = pdfBytes(5000);
    content.write('unique content of this test', 100, 'latin1');
    let attachmentId: string;
    let dossierId: string;

    const download = (id: string, token?: string) => {
      const req = t
        .http()
        .get(`/attachments/${id}`)
        .buffer(true)
        .parse((res: Response, done: (err: Error | null, body: Buffer) => void) => {
          // superagent hands the raw Node response to a custom parser: collect the bytes as they are.
          const stream = res as unknown as NodeJS.ReadableStream;
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            done(null, Buffer.concat(chunks));
          });
        });
      return token ? req.set(bearer(token)) : req;
    };

    beforeAll(async () => {
      const up = await upload(citizen, content, NAME);
      expect(up.status).toBe(201);
      attachmentId = (up.body as { id: string }).id;
    });

    it('gives the uploader the bytes as uploaded, with type, length, checksum and the Vietnamese name (RFC 5987)', async () => {
      const res = await download(attachmentId, citizen).expect(200);
      expect(Buffer.compare(res.body as Buffer, content)).toBe(0);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-length']).toBe('5000');
      expect(res.headers['x-content-sha256']).toBe(createHash('sha256').update(content).digest('hex'));
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const disposition = res.headers['content-disposition'] as string;
      expect(disposition).toMatch(/^attachment; filename="Giay khai sinh _ ban sao\.pdf"; filename\*=UTF-8''/);
      expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe(NAME);
    });

    it('answers 404 (audited) to another citizen, and to officers while the file is in no dossier', async () => {
      const res = await download(attachmentId, other).set('X-Correlation-Id', 'peek-attachment-1');
      expect(res.status).toBe(404);
      const line = await eventually('audit line', () =>
        Promise.resolve(t.logLines.find((l) => l['audit'] === true && l['correlationId'] === 'peek-attachment-1')),
      );
      expect(line).toMatchObject({
        action: 'attachment.read',
        outcome: 'denied',
        actor: { sub: `citizen:${OTHER_CITIZEN}`, role: 'citizen' },
        resource: `attachment:${attachmentId}`,
      });
      expect((await download(attachmentId, await t.env.issuer.officer(AGENCY))).status).toBe(404);
      // The same answer as an attachment that does not exist.
      expect((await download(randomUUID(), other)).status).toBe(404);
      expect((await download('not-a-uuid', other)).status).toBe(404);
      expect((await download(attachmentId)).status).toBe(401);
    });

    it("once in a dossier: the applicant and the agency's officers read it, other agencies and citizens do not", async () => {
      const res = await submit(citizen, `att-${randomUUID()}`, {
        procedureCode: TEST_PROCEDURE,
        agencyCode: AGENCY,
        form: maritalStatusForm(CITIZEN),
        attachmentIds: [attachmentId],
      });
      expect(res.status).toBe(202);
      dossierId = (res.body as { id: string }).id;
      const dossier = (await t.http().get(`/dossiers/${dossierId}`).set(bearer(citizen)).expect(200)).body as {
        attachments: unknown[];
      };
      expect(dossier.attachments).toEqual([
        {
          id: attachmentId,
          fileName: NAME,
          contentType: 'application/pdf',
          sizeBytes: 5000,
          sha256: createHash('sha256').update(content).digest('hex'),
          purpose: 'SUBMISSION',
        },
      ]);
      const officer = await download(attachmentId, await t.env.issuer.officer(AGENCY)).expect(200);
      expect(Buffer.compare(officer.body as Buffer, content)).toBe(0);
      await download(attachmentId, await t.env.issuer.operator()).expect(200);
      await download(attachmentId, citizen).expect(200);
      expect((await download(attachmentId, await t.env.issuer.officer('P01'))).status).toBe(404);
      expect((await download(attachmentId, other)).status).toBe(404);
    });
  });
});

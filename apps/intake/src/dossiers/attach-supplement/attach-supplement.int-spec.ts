import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'superagent';
import { eventually } from '@hoso/testing';
import {
  maritalStatusForm,
  pdfBytes,
  startIntake,
  TEST_PROCEDURE,
  type IntakeTestApp,
} from '../../testing/intake-test-app';

jest.setTimeout(90_000);

const CITIZEN = '001090000654';
const OTHER_CITIZEN = '079185000654';
const AGENCY = 'C00070'; // Phường Hoàn Kiếm, Hà Nội
const OTHER_AGENCY = 'C00082';

interface Attachment {
  id: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  purpose: 'SUBMISSION' | 'SUPPLEMENT';
}

interface DossierBody {
  status: string;
  attachments: Attachment[];
  history: { eventId: string | null }[];
}

describe('intake: supplement documents linked to the dossier', () => {
  let t: IntakeTestApp;
  let citizen: string;
  let other: string;
  let officer: string;
  // Event times relative to the test's start, so they always follow the (real-time) submissions.
  const start = Date.now();
  const minutes = (n: number) => new Date(start + n * 60_000);

  beforeAll(async () => {
    t = await startIntake();
    citizen = await t.env.issuer.citizen(CITIZEN, { name: 'Nguyễn Văn An' });
    other = await t.env.issuer.citizen(OTHER_CITIZEN);
    officer = await t.env.issuer.officer(AGENCY);
  });

  afterAll(async () => {
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function upload(token: string, name = 'ban-sao.pdf', content = pdfBytes()): Promise<Attachment> {
    const res = await t
      .http()
      .post('/attachments')
      .set(bearer(token))
      .attach('file', content, { filename: name, contentType: 'application/pdf' });
    expect(res.status).toBe(201);
    return res.body as Attachment;
  }

  async function submit(token: string, pid: string, attachmentIds: string[] = []): Promise<string> {
    const res = await t
      .http()
      .post('/dossiers')
      .set(bearer(token))
      .set('Idempotency-Key', `supp-${randomUUID()}`)
      .send({ procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(pid), attachmentIds });
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  }

  const attach = (token: string, dossierId: string, body: unknown) =>
    t
      .http()
      .post(`/dossiers/${dossierId}/attachments`)
      .set(bearer(token))
      .send(body as object);

  const read = async (id: string, token = citizen): Promise<DossierBody> =>
    (await t.http().get(`/dossiers/${id}`).set(bearer(token)).expect(200)).body as DossierBody;

  const claimOf = async (attachmentId: string) =>
    (
      await t.query<{ dossier_id: string | null; purpose: string | null }>(
        'SELECT dossier_id, purpose FROM attachments WHERE id = $1',
        [attachmentId],
      )
    )[0];

  const caseIds = new Map<string, string>();

  /** Moves the projected status as case-tracking's events do, and waits until the projection has applied them. */
  async function caseEvents(
    dossierId: string,
    moves: { to: 'IN_PROCESS' | 'SUPPLEMENT_REQUESTED'; at: number }[],
    opened = false,
  ) {
    const meta = (at: Date) => ({ dossierId, correlationId: `test-${dossierId}`, occurredAt: at });
    const caseId = caseIds.get(dossierId) ?? randomUUID();
    caseIds.set(dossierId, caseId);
    const ids: string[] = [];
    if (!opened) {
      ids.push(
        await t.publisher.publish(
          'case.received.v1',
          {
            dossierId,
            caseId,
            receiptCode: 'x-receipt',
            agencyCode: AGENCY,
            procedureCode: TEST_PROCEDURE,
            provinceCode: '01',
            receivedAt: minutes(1).toISOString(),
            dueAt: minutes(5000).toISOString(),
            processingWorkingDays: 3,
          },
          meta(minutes(1)),
        ),
      );
    }
    for (const move of moves) {
      ids.push(
        await t.publisher.publish(
          'case.status-changed.v2',
          {
            dossierId,
            caseId,
            agencyCode: AGENCY,
            from: move.to === 'IN_PROCESS' ? 'RECEIVED' : 'IN_PROCESS',
            to: move.to,
            actor: { kind: 'officer', id: `officer:${AGENCY}` },
            reason: move.to === 'SUPPLEMENT_REQUESTED' ? 'Bổ sung bản sao giấy khai sinh' : null,
            changedAt: minutes(move.at).toISOString(),
            dueAt: null,
          },
          meta(minutes(move.at)),
        ),
      );
    }
    return eventually(`case events projected on ${dossierId}`, async () => {
      const d = await read(dossierId);
      const seen = new Set(d.history.map((h) => h.eventId));
      return ids.every((e) => seen.has(e)) ? d : undefined;
    });
  }

  const download = (id: string, token: string) =>
    t
      .http()
      .get(`/attachments/${id}`)
      .set(bearer(token))
      .buffer(true)
      .parse((res: Response, done: (err: Error | null, body: Buffer) => void) => {
        const stream = res as unknown as NodeJS.ReadableStream;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          done(null, Buffer.concat(chunks));
        });
      });

  it('links the applicant’s uploads as supplement documents, lists them, lets the agency download them', async () => {
    const submitted = await upload(citizen, 'to-khai.pdf');
    const dossierId = await submit(citizen, CITIZEN, [submitted.id]);
    const d = await caseEvents(dossierId, [
      { to: 'IN_PROCESS', at: 2 },
      { to: 'SUPPLEMENT_REQUESTED', at: 3 },
    ]);
    expect(d.status).toBe('SUPPLEMENT_REQUESTED');

    const bytes = pdfBytes(3000);
    const first = await upload(citizen, 'giay-khai-sinh.pdf', bytes);
    const second = await upload(citizen, 'so-ho-khau.pdf');
    const res = await attach(citizen, dossierId, { attachmentIds: [first.id, second.id] });
    expect(res.status).toBe(200);
    const answer = res.body as { id: string; attachments: Attachment[] };
    expect(answer.id).toBe(dossierId);
    expect(answer.attachments).toEqual([
      { ...submitted, purpose: 'SUBMISSION' },
      { ...first, purpose: 'SUPPLEMENT' },
      { ...second, purpose: 'SUPPLEMENT' },
    ]);
    // The dossier's own view, for the applicant and for the agency's officer, lists the same documents.
    expect((await read(dossierId)).attachments).toEqual(answer.attachments);
    expect((await read(dossierId, officer)).attachments).toEqual(answer.attachments);

    // The agency's officer downloads the supplied file as uploaded; an officer of another agency cannot.
    const got = await download(first.id, officer);
    expect(got.status).toBe(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
    expect(got.headers['x-content-sha256']).toBe(createHash('sha256').update(bytes).digest('hex'));
    const stranger = await t.env.issuer.officer(OTHER_AGENCY);
    expect((await download(first.id, stranger)).status).toBe(404);

    // Sent again (the answer was lost): same answer, nothing changes.
    const again = await attach(citizen, dossierId, { attachmentIds: [first.id, second.id] });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(answer);

    // Once the agency is back at work, new documents are refused (and stay unclaimed); the resend still answers.
    await caseEvents(dossierId, [{ to: 'IN_PROCESS', at: 4 }], true);
    const late = await upload(citizen, 'muon.pdf');
    const refused = await attach(citizen, dossierId, { attachmentIds: [late.id] });
    expect(refused.status).toBe(409);
    expect((refused.body as { message: string }).message).toMatch(
      /only while the agency asks for a supplement.*IN_PROCESS/,
    );
    expect(await claimOf(late.id)).toEqual({ dossier_id: null, purpose: null });
    expect((await attach(citizen, dossierId, { attachmentIds: [second.id] })).status).toBe(200);
  });

  it('refuses outside a supplement request with 409 and links nothing', async () => {
    const dossierId = await submit(citizen, CITIZEN);
    const file = await upload(citizen);
    const res = await attach(citizen, dossierId, { attachmentIds: [file.id] });
    expect(res.status).toBe(409);
    expect((res.body as { message: string }).message).toMatch(/this dossier is SUBMITTED/);
    expect(await claimOf(file.id)).toEqual({ dossier_id: null, purpose: null });
    expect((await read(dossierId)).attachments).toEqual([]);
  });

  it('hides another citizen’s dossier (404, audited) and refuses officers (403); links nothing', async () => {
    const dossierId = await submit(citizen, CITIZEN);
    await caseEvents(dossierId, [{ to: 'SUPPLEMENT_REQUESTED', at: 3 }]);
    const theirs = await upload(other);
    const res = await attach(other, dossierId, { attachmentIds: [theirs.id] });
    expect(res.status).toBe(404);
    expect((res.body as { message: string }).message).toBe('no such dossier');
    expect(
      t.logLines.find(
        (l) =>
          l['audit'] === true &&
          l['action'] === 'dossier.attach-supplement' &&
          l['resource'] === `dossier:${dossierId}`,
      ),
    ).toMatchObject({ outcome: 'denied', actor: { sub: `citizen:${OTHER_CITIZEN}`, role: 'citizen' } });
    // A dossier that does not exist answers the same.
    expect((await attach(other, randomUUID(), { attachmentIds: [theirs.id] })).status).toBe(404);
    expect((await attach(other, 'not-a-uuid', { attachmentIds: [theirs.id] })).status).toBe(404);
    const officersFile = await upload(officer);
    expect((await attach(officer, dossierId, { attachmentIds: [officersFile.id] })).status).toBe(403);
    expect(await claimOf(theirs.id)).toEqual({ dossier_id: null, purpose: null });
    expect(await claimOf(officersFile.id)).toEqual({ dossier_id: null, purpose: null });
  });

  it('refuses someone else’s or an already used attachment with 400 naming it, and links none of the list', async () => {
    const usedElsewhere = await upload(citizen, 'da-dung.pdf');
    await submit(citizen, CITIZEN, [usedElsewhere.id]);
    const dossierId = await submit(citizen, CITIZEN);
    await caseEvents(dossierId, [{ to: 'SUPPLEMENT_REQUESTED', at: 3 }]);
    const good = await upload(citizen);
    const foreign = await upload(other);
    const missing = randomUUID();

    const res = await attach(citizen, dossierId, { attachmentIds: [good.id, foreign.id, usedElsewhere.id, missing] });
    expect(res.status).toBe(400);
    const body = res.body as { message: string; issues: { path: string; message: string }[] };
    expect(body.message).toContain(foreign.id);
    expect(body.message).toContain(usedElsewhere.id);
    expect(body.message).toContain(missing);
    expect(body.message).not.toContain(good.id);
    expect(body.issues.map((i) => i.path)).toEqual(['attachmentIds.1', 'attachmentIds.2', 'attachmentIds.3']);
    // All or none: the valid document was not linked either.
    expect(await claimOf(good.id)).toEqual({ dossier_id: null, purpose: null });
    expect(await claimOf(foreign.id)).toEqual({ dossier_id: null, purpose: null });
    expect((await read(dossierId)).attachments).toEqual([]);

    // Bad bodies: 400, nothing linked.
    for (const bad of [
      {},
      { attachmentIds: [] },
      { attachmentIds: ['not-a-uuid'] },
      { attachmentIds: [good.id, good.id] },
      { attachmentIds: [good.id], note: 'extra' },
      { attachmentIds: Array.from({ length: 21 }, () => randomUUID()) },
    ]) {
      expect((await attach(citizen, dossierId, bad)).status).toBe(400);
    }
    expect(await claimOf(good.id)).toEqual({ dossier_id: null, purpose: null });

    // The good one alone goes through.
    expect((await attach(citizen, dossierId, { attachmentIds: [good.id] })).status).toBe(200);
    expect(await claimOf(good.id)).toEqual({ dossier_id: dossierId, purpose: 'SUPPLEMENT' });
  });

  it('holds at most 30 supplement documents per dossier', async () => {
    const dossierId = await submit(citizen, CITIZEN);
    await caseEvents(dossierId, [{ to: 'SUPPLEMENT_REQUESTED', at: 3 }]);
    const files: Attachment[] = [];
    for (let i = 0; i < 31; i++) files.push(await upload(citizen, `trang-${String(i)}.pdf`, pdfBytes(600)));
    const ids = files.map((f) => f.id);
    expect((await attach(citizen, dossierId, { attachmentIds: ids.slice(0, 20) })).status).toBe(200);
    expect((await attach(citizen, dossierId, { attachmentIds: ids.slice(20, 30) })).status).toBe(200);
    const over = await attach(citizen, dossierId, { attachmentIds: ids.slice(30) });
    expect(over.status).toBe(400);
    expect((over.body as { message: string }).message).toMatch(/at most 30 supplement documents/);
    expect(await claimOf(ids[30] ?? '')).toEqual({ dossier_id: null, purpose: null });
    expect((await read(dossierId)).attachments).toHaveLength(30);
  });
});

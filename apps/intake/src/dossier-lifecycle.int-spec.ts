import { randomUUID } from 'node:crypto';
import { createEvent, catalog, keyOf } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import { maritalStatusForm, startIntake, TEST_PROCEDURE, type IntakeTestApp } from './testing/intake-test-app';

jest.setTimeout(60_000);

const CITIZEN = '001090000321';
const AGENCY = 'C00070';

interface DossierBody {
  status: string;
  agencyCode: string;
  handlingAgencyCode: string;
  history: { status: string | null; applied: boolean; source: string; eventId: string | null }[];
}

describe('dossier lifecycle: status projection, withdrawal, merged units', () => {
  let t: IntakeTestApp;
  let citizen: string;
  const meta = (dossierId: string, occurredAt: Date) => ({ dossierId, correlationId: `test-${dossierId}`, occurredAt });
  // Event times relative to the test's start, so they always follow the (real-time) submission.
  const start = Date.now();
  const minutes = (n: number) => new Date(start + n * 60_000);

  beforeAll(async () => {
    t = await startIntake();
    citizen = await t.env.issuer.citizen(CITIZEN);
  });

  afterAll(async () => {
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function submitTo(agencyCode: string): Promise<{ id: string; receiptCode: string }> {
    const res = await t
      .http()
      .post('/dossiers')
      .set(bearer(citizen))
      .set('Idempotency-Key', `life-${randomUUID()}`)
      .send({ procedureCode: TEST_PROCEDURE, agencyCode, form: maritalStatusForm(CITIZEN) });
    expect(res.status).toBe(202);
    return res.body as { id: string; receiptCode: string };
  }

  async function read(id: string, token = citizen): Promise<DossierBody> {
    return (await t.http().get(`/dossiers/${id}`).set(bearer(token)).expect(200)).body as DossierBody;
  }

  /** Waits until the projection has recorded every one of `eventIds`. */
  async function projected(id: string, eventIds: string[]): Promise<DossierBody> {
    return eventually(`events ${eventIds.join(', ')} projected on ${id}`, async () => {
      const d = await read(id);
      const seen = new Set(d.history.map((h) => h.eventId));
      return eventIds.every((e) => seen.has(e)) ? d : undefined;
    });
  }

  const paymentId = randomUUID();
  const caseId = randomUUID();

  it('projects identity, payment and case events in order of phase, whatever their arrival order', async () => {
    const { id } = await submitTo(AGENCY);
    // payment.completed arrives before payment.requested and identity.verified (different topics).
    const completed = await t.publisher.publish(
      'payment.completed.v1',
      {
        dossierId: id,
        paymentId,
        amountVnd: 5000,
        method: 'CARD',
        online: true,
        gatewayReference: 'GW-1',
        completedAt: minutes(3).toISOString(),
      },
      meta(id, minutes(3)),
    );
    let d = await projected(id, [completed]);
    expect(d.status).toBe('PAID');
    const requested = await t.publisher.publish(
      'payment.requested.v1',
      {
        dossierId: id,
        paymentId,
        amountVnd: 5000,
        expiresAt: minutes(60).toISOString(),
        requestedAt: minutes(2).toISOString(),
      },
      meta(id, minutes(2)),
    );
    const verified = await t.publisher.publish(
      'identity.verified.v1',
      { dossierId: id, personalId: CITIZEN, vneidLevel: 2, verifiedAt: minutes(1).toISOString() },
      meta(id, minutes(1)),
    );
    d = await projected(id, [requested, verified]);
    expect(d.status).toBe('PAID');
    const byEvent = new Map(d.history.map((h) => [h.eventId, h]));
    expect(byEvent.get(completed)).toMatchObject({ status: 'PAID', applied: true, source: 'payment.completed.v1' });
    expect(byEvent.get(requested)).toMatchObject({ status: 'AWAITING_PAYMENT', applied: false });
    expect(byEvent.get(verified)).toMatchObject({ status: 'IDENTITY_VERIFIED', applied: false });

    const received = await t.publisher.publish(
      'case.received.v1',
      {
        dossierId: id,
        caseId,
        receiptCode: 'x-receipt',
        agencyCode: AGENCY,
        procedureCode: TEST_PROCEDURE,
        provinceCode: '01',
        receivedAt: minutes(4).toISOString(),
        dueAt: minutes(5000).toISOString(),
        processingWorkingDays: 3,
      },
      meta(id, minutes(4)),
    );
    // IN_PROCESS arrives, then SUPPLEMENT_REQUESTED, then a stale IN_PROCESS event from before the supplement.
    const statusChange = (to: 'IN_PROCESS' | 'SUPPLEMENT_REQUESTED', at: Date) =>
      t.publisher.publish(
        'case.status-changed.v2',
        {
          dossierId: id,
          caseId,
          agencyCode: AGENCY,
          from: 'RECEIVED',
          to,
          actor: { kind: 'officer', id: 'officer:C00070' },
          reason: null,
          changedAt: at.toISOString(),
          dueAt: null,
        },
        meta(id, at),
      );
    const inProcess = await statusChange('IN_PROCESS', minutes(5));
    const supplement = await statusChange('SUPPLEMENT_REQUESTED', minutes(7));
    d = await projected(id, [received, inProcess, supplement]);
    expect(d.status).toBe('SUPPLEMENT_REQUESTED');
    const stale = await statusChange('IN_PROCESS', minutes(6));
    d = await projected(id, [stale]);
    expect(d.status).toBe('SUPPLEMENT_REQUESTED');
    // Every event is in the history, applied or not, after the submission itself.
    expect(d.history).toHaveLength(8);
    expect(d.history[0]).toMatchObject({ status: 'SUBMITTED', source: 'intake' });

    // The applicant withdraws before a decision: allowed, event emitted, status final.
    const w = await t.http().post(`/dossiers/${id}/withdraw`).set(bearer(citizen)).send({ reason: 'nộp nhầm' });
    expect(w.status).toBe(200);
    expect(w.body).toMatchObject({ id, status: 'WITHDRAWN' });
    const withdrawn = await t.tap.waitFor('dossier.withdrawn.v1', (e) => e.dossierId === id);
    expect(withdrawn.payload).toMatchObject({ dossierId: id, agencyCode: AGENCY, reason: 'nộp nhầm' });
    // Later events are kept but do not reopen a withdrawn dossier; a second withdrawal is refused.
    const late = await statusChange('IN_PROCESS', minutes(9));
    d = await projected(id, [late]);
    expect(d.status).toBe('WITHDRAWN');
    expect(d.history.find((h) => h.eventId === late)).toMatchObject({ applied: false });
    await t.http().post(`/dossiers/${id}/withdraw`).set(bearer(citizen)).send({ reason: 'again' }).expect(409);
  });

  it('refuses withdrawal after a decision, and by anyone but the applicant', async () => {
    const { id } = await submitTo(AGENCY);
    const other = await t.env.issuer.citizen('079185000999');
    await t.http().post(`/dossiers/${id}/withdraw`).set(bearer(other)).send({ reason: 'x' }).expect(404);
    const officer = await t.env.issuer.officer(AGENCY);
    await t.http().post(`/dossiers/${id}/withdraw`).set(bearer(officer)).send({ reason: 'x' }).expect(403);
    // A v1 move (the deprecated topic, still read for the events already in the log) moves the status as v2 does.
    const approved = await t.publisher.publish(
      'case.status-changed.v1',
      {
        dossierId: id,
        caseId: randomUUID(),
        agencyCode: AGENCY,
        from: 'IN_PROCESS',
        to: 'APPROVED',
        actor: { kind: 'officer', id: 'officer:C00070' },
        reason: 'đủ điều kiện',
        changedAt: minutes(10).toISOString(),
        dueAt: null,
      },
      meta(id, minutes(10)),
    );
    expect((await projected(id, [approved])).status).toBe('APPROVED');
    const res = await t.http().post(`/dossiers/${id}/withdraw`).set(bearer(citizen)).send({ reason: 'late' });
    expect(res.status).toBe(409);
    expect((await read(id)).status).toBe('APPROVED');
    expect(t.tap.matching('dossier.withdrawn.v1', (e) => e.dossierId === id)).toHaveLength(0);
    const [row] = await t.query<{ n: string }>(
      `SELECT count(*) AS n FROM messaging_outbox WHERE topic LIKE '%dossier.withdrawn.v1' AND key = $1`,
      [id],
    );
    expect(row?.n).toBe('0');
  });

  it('ends a dossier on a final payment failure; ignores events about unknown dossiers; applies a redelivery once', async () => {
    const { id } = await submitTo(AGENCY);
    // A well-formed event (envelope and payload name the same dossier) about a dossier intake does not know.
    const strangerId = randomUUID();
    const stranger = await t.publisher.publish(
      'identity.verified.v1',
      { dossierId: strangerId, personalId: CITIZEN, vneidLevel: 2, verifiedAt: minutes(1).toISOString() },
      meta(strangerId, minutes(1)),
    );
    // The same event delivered twice (a producer retry) is recorded once.
    const failed = createEvent(
      catalog,
      'payment.failed.v1',
      {
        dossierId: id,
        paymentId: randomUUID(),
        reason: 'EXPIRED',
        detail: 'not paid in time',
        final: true,
        failedAt: minutes(2).toISOString(),
      },
      { ...meta(id, minutes(2)), producer: 'payment' },
    );
    const message = {
      topic: `${t.env.topicPrefix}payment.failed.v1`,
      key: keyOf(catalog, 'payment.failed.v1', failed),
      value: JSON.stringify(failed),
    };
    const producer = t.env.kafka.producer();
    await producer.connect();
    await producer.send({ topic: message.topic, messages: [message, message] });
    await producer.disconnect();
    const d = await projected(id, [failed.eventId]);
    expect(d.status).toBe('EXPIRED');
    expect(d.history.filter((h) => h.eventId === failed.eventId)).toHaveLength(1);
    await eventually('stranger event consumed', async () => {
      const rows = await t.query('SELECT 1 FROM messaging_inbox WHERE event_id = $1', [stranger]);
      return rows.length === 1 ? true : undefined;
    });
    expect(await t.query('SELECT 1 FROM dossier_status_history WHERE event_id = $1', [stranger])).toHaveLength(0);
  });

  it('keeps dossiers in flight working after their commune is merged, and routes new ones to the successor', async () => {
    const inFlight = await submitTo('C00082');
    const operator = await t.env.issuer.operator();
    const merge = await t
      .http()
      .post('/admin-units/communes/00082/merge')
      .set(bearer(operator))
      .send({ into: '00070' });
    expect(merge.status).toBe(200);
    expect(merge.body).toMatchObject({
      code: '00082',
      mergedIntoCode: '00070',
      reroutedAgencies: [{ code: 'C00082', successorCode: 'C00070' }],
    });
    // Twice, into itself, into a merged unit: refused.
    await t.http().post('/admin-units/communes/00082/merge').set(bearer(operator)).send({ into: '00070' }).expect(409);
    await t.http().post('/admin-units/communes/00070/merge').set(bearer(operator)).send({ into: '00070' }).expect(409);
    await t.http().post('/admin-units/communes/00070/merge').set(bearer(operator)).send({ into: '00082' }).expect(409);
    await t.http().post('/admin-units/communes/00070/merge').set(bearer(operator)).send({ into: '99999' }).expect(404);
    // One audit record, by the merge's own transaction (the same transaction id as the merged commune's row); the
    // refused merges left none.
    const merges = await t.query<{ resource: string; actor_sub: string; tx: string }>(
      `SELECT entry::jsonb ->> 'resource' AS resource, actor_sub, xmin::text AS tx FROM audit_trail
        WHERE action = 'commune.merge' ORDER BY seq`,
    );
    const [commune] = await t.query<{ tx: string }>(`SELECT xmin::text AS tx FROM communes WHERE code = '00082'`);
    expect(merges).toEqual([{ resource: 'commune:00082->00070', actor_sub: 'operator:1', tx: commune!.tx }]);
    // The operators' view of the trail; an officer is refused.
    await t
      .http()
      .get('/audit-trail')
      .set(bearer(await t.env.issuer.officer('C00070')))
      .expect(403);
    const view = await t.http().get('/audit-trail').set(bearer(operator)).expect(200);
    expect(view.body).toMatchObject({
      verification: { ok: true },
      entries: expect.arrayContaining([
        expect.objectContaining({ action: 'commune.merge', resource: 'commune:00082->00070' }),
      ]) as unknown,
    });

    const communes = (await t.http().get('/provinces/01/communes').expect(200)).body as { code: string }[];
    expect(communes.map((c) => c.code)).not.toContain('00082');
    const agencies = (await t.http().get('/agencies?provinceCode=01').expect(200)).body as { code: string }[];
    expect(agencies.map((a) => a.code)).not.toContain('C00082');
    expect((await t.http().get('/agencies/C00082').expect(200)).body).toMatchObject({ successorCode: 'C00070' });

    // The dossier in flight keeps its agency: the applicant and the old agency's officers still read it.
    expect(await read(inFlight.id)).toMatchObject({ agencyCode: 'C00082', status: 'SUBMITTED' });
    await read(inFlight.id, await t.env.issuer.officer('C00082'));
    const byReceipt = await t.http().get(`/dossiers/by-receipt/${inFlight.receiptCode}`).set(bearer(citizen));
    expect(byReceipt.status).toBe(200);

    // A new submission addressed to the merged commune's agency lands at the successor.
    const routed = await submitTo('C00082');
    expect(routed.receiptCode).toMatch(/^C00070-/);
    const event = await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === routed.id);
    expect(event.payload).toMatchObject({ agencyCode: 'C00070', provinceCode: '01' });
    const routedView = (await read(routed.id)) as DossierBody & { requestedAgencyCode: string };
    expect(routedView).toMatchObject({ agencyCode: 'C00070', requestedAgencyCode: 'C00082' });

    // Withdrawal of the dossier in flight still works, and names its own agency.
    await t.http().post(`/dossiers/${inFlight.id}/withdraw`).set(bearer(citizen)).send({ reason: 'x' }).expect(200);
    const withdrawn = await t.tap.waitFor('dossier.withdrawn.v1', (e) => e.dossierId === inFlight.id);
    expect(withdrawn.payload).toMatchObject({ agencyCode: 'C00082' });
  });

  it('routes by a change another replica made, although this one holds the agencies in memory', async () => {
    // This replica has read the agencies (a submission routed by them).
    expect((await submitTo('C00004')).receiptCode).toMatch(/^C00004-/);
    // Another replica (or a hand edit) reroutes the agency: nothing tells this one but the database.
    await t.query(`UPDATE agencies SET successor_code = 'C00166' WHERE code = 'C00004'`);
    const routed = await submitTo('C00004');
    expect(routed.receiptCode).toMatch(/^C00166-/);
    const [row] = await t.query<{ agency_code: string; requested_agency_code: string }>(
      'SELECT agency_code, requested_agency_code FROM dossiers WHERE id = $1',
      [routed.id],
    );
    expect(row).toEqual({ agency_code: 'C00166', requested_agency_code: 'C00004' });
    const event = await t.tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === routed.id);
    expect(event.payload).toMatchObject({ agencyCode: 'C00166' });
  });
});

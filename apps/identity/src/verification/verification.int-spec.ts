import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads, type Payload } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { EventTap } from '@hoso/nest-kit/testing';
import { eventually } from '@hoso/testing';
import { FIND_CITIZEN_SQL } from '../registry/citizen.repository';
import type { CitizenRecord } from '@hoso/population';
import { citizenAt, unregisteredPersonalId } from '@hoso/population';
import { startIdentity, TEST_REGISTRY_SIZE, type IdentityTestApp } from '../testing/identity-test-app';

describe('identity: applicant verification on dossier.submitted.v1 (real servers)', () => {
  let t: IdentityTestApp;
  let tap: EventTap;
  let producer: EventProducer;

  /** Seeded citizens by index, first ones matching `pred`. */
  const citizens = (pred: (c: CitizenRecord) => boolean, n: number): CitizenRecord[] => {
    const found: CitizenRecord[] = [];
    for (let i = 0; i < TEST_REGISTRY_SIZE && found.length < n; i++) {
      const c = citizenAt(t.config.REGISTRY_SEED, i);
      if (pred(c)) found.push(c);
    }
    if (found.length < n) throw new Error('not enough matching citizens in the test registry');
    return found;
  };

  function submitted(applicant: { personalId: string; fullName: string; birthDate: string }, requiredVneidLevel = 2) {
    const dossierId = randomUUID();
    const payload: Payload<'dossier.submitted.v1'> = {
      ...samplePayloads['dossier.submitted.v1'],
      dossierId,
      applicant,
      requiredVneidLevel,
    };
    return createEvent(catalog, 'dossier.submitted.v1', payload, {
      dossierId,
      correlationId: `corr-${dossierId}`,
      producer: 'intake',
    });
  }

  const publish = (...events: ReturnType<typeof submitted>[]) =>
    producer.sendBatch(
      events.map((e) => ({
        topic: `${t.env.topicPrefix}dossier.submitted.v1`,
        key: e.dossierId!,
        value: JSON.stringify(e),
      })),
    );

  const outcomeOf = (eventId: string) =>
    Promise.race([
      tap.waitFor('identity.verified.v1', (e) => e.causationId === eventId),
      tap.waitFor('identity.rejected.v1', (e) => e.causationId === eventId),
    ]);

  beforeAll(async () => {
    t = await startIdentity();
    tap = await new EventTap(t.env, ['identity.verified.v1', 'identity.rejected.v1']).start();
    producer = new EventProducer(t.env.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await tap.stop();
    await t.close();
  });

  it('looks citizens up by primary key (an Index Scan, O(log n))', async () => {
    const plan = await t.ds.query<{ 'QUERY PLAN': { Plan: { 'Node Type': string; 'Index Name'?: string } }[] }[]>(
      `EXPLAIN (FORMAT JSON) ${FIND_CITIZEN_SQL}`,
      [citizenAt(t.config.REGISTRY_SEED, 7).personalId],
    );
    const root = plan[0]!['QUERY PLAN'][0]!.Plan;
    expect(root['Node Type']).toBe('Index Scan');
    expect(root['Index Name']).toBe('citizens_pkey');
  });

  it('verifies a matching applicant and rejects a wrong name, with the event chain kept', async () => {
    const [good, other] = citizens((c) => !c.deceased && c.vneidLevel === 2, 2);
    const ok = submitted({ personalId: good!.personalId, fullName: good!.fullName, birthDate: good!.birthDate });
    const wrongName = submitted({
      personalId: other!.personalId,
      fullName: 'Trần Thị Không Khớp',
      birthDate: other!.birthDate,
    });
    await publish(ok, wrongName);

    const verified = await outcomeOf(ok.eventId);
    expect(verified.type).toBe('identity.verified');
    expect(verified).toMatchObject({
      dossierId: ok.dossierId,
      correlationId: ok.correlationId,
      causationId: ok.eventId,
      payload: { dossierId: ok.dossierId, personalId: good!.personalId, vneidLevel: 2 },
    });

    const rejected = await outcomeOf(wrongName.eventId);
    expect(rejected.type).toBe('identity.rejected');
    expect(rejected).toMatchObject({
      dossierId: wrongName.dossierId,
      correlationId: wrongName.correlationId,
      causationId: wrongName.eventId,
      payload: { reason: 'NAME_MISMATCH', personalId: other!.personalId },
    });
    // The detail never leaks the registry's name.
    const detail = (rejected.payload as { detail: string }).detail;
    expect(detail).not.toContain(other!.fullName);
    for (const part of other!.fullName.split(' ')) expect(detail.split(/[\s.,;:()'"]+/u)).not.toContain(part);
  });

  it('rejects unknown, deceased and under-level applicants with the right reason', async () => {
    const [dead] = citizens((c) => c.deceased, 1);
    const [level1] = citizens((c) => !c.deceased && c.vneidLevel === 1, 1);
    const unknownId = unregisteredPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE);
    const cases = [
      {
        e: submitted({ personalId: unknownId, fullName: 'Nguyễn Văn A', birthDate: '1990-01-01' }),
        reason: 'NOT_FOUND',
      },
      {
        e: submitted({ personalId: dead!.personalId, fullName: dead!.fullName, birthDate: dead!.birthDate }),
        reason: 'DECEASED',
      },
      {
        e: submitted({ personalId: level1!.personalId, fullName: level1!.fullName, birthDate: level1!.birthDate }, 2),
        reason: 'VNEID_LEVEL_TOO_LOW',
      },
    ];
    await publish(...cases.map((c) => c.e));
    for (const c of cases) {
      const outcome = await outcomeOf(c.e.eventId);
      expect(outcome.payload).toMatchObject({ reason: c.reason });
    }
  });

  it('answers an event delivered twice only once', async () => {
    const [c] = citizens((x) => !x.deceased && x.vneidLevel >= 1, 1);
    const event = submitted({ personalId: c!.personalId, fullName: c!.fullName, birthDate: c!.birthDate }, 1);
    await publish(event);
    await outcomeOf(event.eventId);
    // Redelivered (same event id), then the same fact re-announced under a new event id (a producer retry): both
    // are duplicates for the inbox, by event id and by fact (the dossier's submission).
    const stats = () => t.app.get(MessagingService).consumer?.stats;
    const duplicatesBefore = stats()?.duplicates ?? 0;
    const again = { ...event, eventId: uuidv7() };
    await producer.sendBatch(
      [event, again].map((e) => ({
        topic: `${t.env.topicPrefix}dossier.submitted.v1`,
        key: event.dossierId!,
        value: JSON.stringify(e),
      })),
    );
    await eventually('the redelivery and the re-announcement skipped', () =>
      Promise.resolve((stats()?.duplicates ?? 0) - duplicatesBefore >= 2),
    );
    expect(tap.matching('identity.verified.v1', (e) => e.causationId === again.eventId)).toHaveLength(0);
    const outcomes = [
      ...tap.matching('identity.verified.v1', (e) => e.causationId === event.eventId),
      ...tap.matching('identity.rejected.v1', (e) => e.causationId === event.eventId),
    ];
    expect(outcomes).toHaveLength(1);
    const rows = await t.ds.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM messaging_outbox WHERE value::jsonb ->> 'causationId' = $1`,
      [event.eventId],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('shares its signing keys with a second instance on the same database', async () => {
    const other = await t.startAnother();
    const server = other.getHttpServer() as Server;
    const a = (await t.http().get('/.well-known/jwks.json').expect(200)).body as unknown;
    const b = (await request(server).get('/.well-known/jwks.json').expect(200)).body as unknown;
    expect(b).toEqual(a);
    const signIn = await t
      .http()
      .post('/auth/staff/tokens')
      .send({ username: 'operator', password: 'hoso-dev-password' });
    const token = (signIn.body as { accessToken: string }).accessToken;
    await request(server).post('/staff').set('Authorization', `Bearer ${token}`).send({}).expect(400);
    await eventually('second instance healthy', async () => (await request(server).get('/health')).status === 200);
  });
});

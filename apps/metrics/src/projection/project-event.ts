import type { EntityManager } from 'typeorm';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { vnDay } from '../rates/domain/period';

/** Every topic of the catalog except the metrics service's own snapshots. */
export const consumedTopics = [
  'dossier.submitted.v1',
  'dossier.withdrawn.v1',
  'identity.verified.v1',
  'identity.rejected.v1',
  'payment.requested.v1',
  'payment.waived.v1',
  'payment.completed.v1',
  'payment.failed.v1',
  'payment.refunded.v1',
  'case.received.v1',
  'case.status-changed.v1',
  'case.completed.v1',
  'case.rated.v1',
] as const satisfies readonly Topic[];
export type ConsumedTopic = (typeof consumedTopics)[number];

type Ev<T extends Topic> = EventOf<Catalog, T>;
type Projector<T extends ConsumedTopic> = (event: Ev<T>, m: EntityManager) => Promise<void>;

const TABLE = 'metrics_dossier_facts';

/** Events of different topics arrive in any order: the first one about a dossier creates its row. */
async function ensureRow(m: EntityManager, dossierId: string): Promise<void> {
  await m.query(`INSERT INTO ${TABLE} (dossier_id) VALUES ($1) ON CONFLICT (dossier_id) DO NOTHING`, [dossierId]);
}

/** Case events carry the dimensions too; they fill them only until the submission (the authority) is seen. */
async function caseDimensions(
  m: EntityManager,
  p: { dossierId: string; agencyCode: string; provinceCode: string; procedureCode: string },
): Promise<void> {
  await m.query(
    `UPDATE ${TABLE} SET agency_code = COALESCE(agency_code, $2), province_code = COALESCE(province_code, $3),
       procedure_code = COALESCE(procedure_code, $4)
     WHERE dossier_id = $1 AND NOT dims_from_submission`,
    [p.dossierId, p.agencyCode, p.provinceCode, p.procedureCode],
  );
}

/**
 * The latest known due date: each of case.received and case.status-changed states the due date as of its own
 * business timestamp, so the one with the latest timestamp wins whatever the arrival order (null = clock paused).
 */
async function dueAsOf(m: EntityManager, dossierId: string, dueAt: string | null, asOf: string): Promise<void> {
  await m.query(
    `UPDATE ${TABLE} SET due_at = $2, due_as_of = $3
     WHERE dossier_id = $1 AND (due_as_of IS NULL OR due_as_of <= $3)`,
    [dossierId, dueAt, asOf],
  );
}

const projectors: { [T in ConsumedTopic]: Projector<T> } = {
  'dossier.submitted.v1': async (e, m) => {
    const p = e.payload;
    await ensureRow(m, p.dossierId);
    await m.query(
      `UPDATE ${TABLE} SET agency_code = $2, province_code = $3, procedure_code = $4, service_level = $5, channel = $6,
         dims_from_submission = true, submitted_at = $7, submitted_day = $8, fee_vnd = $9, has_attachments = $10
       WHERE dossier_id = $1`,
      [
        p.dossierId,
        p.agencyCode,
        p.provinceCode,
        p.procedureCode,
        p.serviceLevel,
        p.channel,
        p.submittedAt,
        vnDay(p.submittedAt),
        p.feeVnd,
        p.attachments.length > 0,
      ],
    );
  },
  'dossier.withdrawn.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    await m.query(`UPDATE ${TABLE} SET withdrawn_at = LEAST(COALESCE(withdrawn_at, $2), $2) WHERE dossier_id = $1`, [
      e.payload.dossierId,
      e.payload.withdrawnAt,
    ]);
  },
  'identity.verified.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    // Identity decides once; a rejection seen in any order wins over a verification (both never happen together).
    await m.query(
      `UPDATE ${TABLE} SET identity_status = 'VERIFIED' WHERE dossier_id = $1 AND identity_status IS NULL`,
      [e.payload.dossierId],
    );
  },
  'identity.rejected.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    await m.query(`UPDATE ${TABLE} SET identity_status = 'REJECTED' WHERE dossier_id = $1`, [e.payload.dossierId]);
  },
  'payment.requested.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    await m.query(`UPDATE ${TABLE} SET fee_charged = true WHERE dossier_id = $1`, [e.payload.dossierId]);
  },
  'payment.waived.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    await m.query(`UPDATE ${TABLE} SET waived = true WHERE dossier_id = $1`, [e.payload.dossierId]);
  },
  'payment.completed.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    const column = e.payload.online ? 'paid_online' : 'paid_offline';
    await m.query(`UPDATE ${TABLE} SET fee_charged = true, ${column} = true WHERE dossier_id = $1`, [
      e.payload.dossierId,
    ]);
  },
  'payment.failed.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    if (e.payload.final) {
      await m.query(`UPDATE ${TABLE} SET payment_failed_final = true WHERE dossier_id = $1`, [e.payload.dossierId]);
    }
  },
  'payment.refunded.v1': async (e, m) => {
    await ensureRow(m, e.payload.dossierId);
    await m.query(`UPDATE ${TABLE} SET refunded = true WHERE dossier_id = $1`, [e.payload.dossierId]);
  },
  'case.received.v1': async (e, m) => {
    const p = e.payload;
    await ensureRow(m, p.dossierId);
    await caseDimensions(m, p);
    await m.query(
      `UPDATE ${TABLE} SET received_at = $2, received_day = $3
       WHERE dossier_id = $1 AND (received_at IS NULL OR received_at > $2)`,
      [p.dossierId, p.receivedAt, vnDay(p.receivedAt)],
    );
    await dueAsOf(m, p.dossierId, p.dueAt, p.receivedAt);
  },
  'case.status-changed.v1': async (e, m) => {
    const p = e.payload;
    await ensureRow(m, p.dossierId);
    await m.query(
      `UPDATE ${TABLE} SET case_status = $2, status_at = $3
       WHERE dossier_id = $1 AND (status_at IS NULL OR status_at < $3)`,
      [p.dossierId, p.to, p.changedAt],
    );
    await dueAsOf(m, p.dossierId, p.dueAt, p.changedAt);
    if (p.to === 'WITHDRAWN') {
      await m.query(`UPDATE ${TABLE} SET withdrawn_at = LEAST(COALESCE(withdrawn_at, $2), $2) WHERE dossier_id = $1`, [
        p.dossierId,
        p.changedAt,
      ]);
    }
  },
  'case.completed.v1': async (e, m) => {
    const p = e.payload;
    await ensureRow(m, p.dossierId);
    await caseDimensions(m, p);
    // A case completes once; should two completions ever be seen, the earliest wins in any arrival order.
    await m.query(
      `UPDATE ${TABLE} SET completed_at = $2, completed_day = $3, outcome = $4, on_time = $5, result_digital = $6
       WHERE dossier_id = $1 AND (completed_at IS NULL OR completed_at > $2)`,
      [p.dossierId, p.completedAt, vnDay(p.completedAt), p.outcome, p.onTime, p.resultDocument !== null],
    );
  },
  'case.rated.v1': async (e, m) => {
    const p = e.payload;
    await ensureRow(m, p.dossierId);
    await caseDimensions(m, p);
    await m.query(
      `UPDATE ${TABLE} SET rating = $2, rated_at = $3, rated_day = $4
       WHERE dossier_id = $1 AND (rated_at IS NULL OR rated_at < $3)`,
      [p.dossierId, p.score, p.ratedAt, vnDay(p.ratedAt)],
    );
  },
};

/** Applies one event to the fact table with `m` (the consumer's transaction): the live consumer and the replay share it. */
export async function projectEvent<T extends ConsumedTopic>(topic: T, event: Ev<T>, m: EntityManager): Promise<void> {
  // One dossier's events arrive on several topics, whose partitions are consumed side by side, each batch in one
  // transaction touching many dossiers in its own order: two batches could lock the same fact rows in opposite
  // orders and deadlock again and again (until the events are dead-lettered). One transaction-scoped lock,
  // taken before any fact row, serialises the projection's batches instead; they are short (one UPDATE or two
  // per event), and decoding, inbox and Kafka I/O still run in parallel.
  await m.query(`SELECT pg_advisory_xact_lock($1)`, [PROJECTION_LOCK]);
  await (projectors[topic] as Projector<T>)(event, m);
}

/** Arbitrary constant key of the projection's advisory lock (in this service's own database). */
const PROJECTION_LOCK = 0x6d657472; // "metr"

export function isConsumedTopic(topic: string): topic is ConsumedTopic {
  return (consumedTopics as readonly string[]).includes(topic);
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The statuses in which a case's SLA clock runs (the SLA worker and the timer rebuild use the same list). */
const CLOCK_RUNNING_SQL = `('RECEIVED', 'TRANSFERRED', 'IN_PROCESS', 'APPROVED', 'REJECTED', 'RESULT_ISSUED')`;

/**
 * Side effects outside PostgreSQL are decided by committed rows: notifications are rows written in the transaction
 * of the move that decides them (sent after the commit, marked sent by the worker), and the SLA warning of a clock
 * version is marked on the case, so a warning job run twice (re-added by a rebuild) writes one history entry.
 */
export class CommittedSideEffects1764500000000 implements MigrationInterface {
  name = 'CommittedSideEffects1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per notification decided. `occurrence` tells apart the notifications of a kind that legitimately
    // repeats on one case: each supplement request is its own (occurrence = the case version of that move); the
    // other kinds happen once per case (occurrence 0). The idempotency key is the BullMQ job id and the provider's
    // de-duplication key.
    await q.query(`
      CREATE TABLE case_notifications (
        id                    bigserial PRIMARY KEY,
        case_id               uuid NOT NULL REFERENCES cases (id),
        kind                  text NOT NULL CHECK (kind IN ('CASE_RECEIVED', 'SUPPLEMENT_REQUESTED', 'RESULT_ISSUED')),
        occurrence            integer NOT NULL DEFAULT 0,
        idempotency_key       text NOT NULL UNIQUE,
        recipient_personal_id text NOT NULL,
        dossier_id            uuid NOT NULL,
        channel               text NOT NULL CHECK (channel IN ('EMAIL', 'SMS')),
        subject               text NOT NULL,
        body                  text NOT NULL,
        created_at            timestamptz NOT NULL DEFAULT now(),
        sent_at               timestamptz,
        failed_at             timestamptz,
        last_error            text,
        UNIQUE (case_id, kind, occurrence)
      )`);
    // What the rebuild pages through: notifications still to send (sent and given-up rows drop out).
    await q.query(
      `CREATE INDEX case_notifications_pending ON case_notifications (id) WHERE sent_at IS NULL AND failed_at IS NULL`,
    );
    await q.query(`ALTER TABLE cases ADD COLUMN sla_warned_version integer`);
    // Cases warned before this column existed: a warning whose due date is the case's current one belongs to the
    // current clock (a resume moves the due date), so the rebuild does not warn them a second time.
    await q.query(`
      UPDATE cases c SET sla_warned_version = c.clock_version
      WHERE EXISTS (SELECT 1 FROM case_history h WHERE h.case_id = c.id AND h.kind = 'SLA_WARNING' AND h.due_at = c.due_at)`);
    // What the SLA rebuild pages through (keyset on id): cases whose clock runs and that are not overdue yet.
    await q.query(
      `CREATE INDEX cases_clock_running ON cases (id) WHERE status IN ${CLOCK_RUNNING_SQL} AND NOT overdue`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX cases_clock_running`);
    await q.query(`ALTER TABLE cases DROP COLUMN sla_warned_version`);
    await q.query(`DROP TABLE case_notifications`);
  }
}

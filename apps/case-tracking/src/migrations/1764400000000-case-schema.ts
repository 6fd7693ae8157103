import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Dossiers as seen from the events, cases with their SLA ledger, append-only history, mailbox. */
export class CaseSchema1764400000000 implements MigrationInterface {
  name = 'CaseSchema1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE case_dossiers (
        dossier_id            uuid PRIMARY KEY,
        submitted             jsonb,
        applicant_personal_id text,
        agency_code           text,
        identity_status       text CHECK (identity_status IN ('VERIFIED', 'REJECTED')),
        payment_status        text CHECK (payment_status IN ('COMPLETED', 'WAIVED', 'FAILED')),
        paid_online           boolean,
        ended_reason          text,
        case_id               uuid,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE dossier_events (
        event_id    uuid PRIMARY KEY,
        dossier_id  uuid NOT NULL,
        type        text NOT NULL,
        occurred_at timestamptz NOT NULL,
        payload     jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, occurred_at)`);
    await q.query(`
      CREATE TABLE cases (
        id                      uuid PRIMARY KEY,
        dossier_id              uuid NOT NULL UNIQUE,
        receipt_code            text NOT NULL,
        procedure_code          text NOT NULL,
        province_code           text NOT NULL,
        agency_code             text NOT NULL,
        applicant_personal_id   text NOT NULL,
        status                  text NOT NULL,
        assignee                text,
        processing_working_days integer NOT NULL,
        received_at             timestamptz NOT NULL,
        due_at                  timestamptz NOT NULL,
        sla_ledger              jsonb NOT NULL,
        clock_version           integer NOT NULL DEFAULT 1,
        overdue                 boolean NOT NULL DEFAULT false,
        fully_online            boolean NOT NULL,
        outcome                 text CHECK (outcome IN ('APPROVED', 'REJECTED')),
        result_id               text,
        result_sha256           text,
        verification_hash       text,
        completed_at            timestamptz,
        rating_score            integer CHECK (rating_score BETWEEN 1 AND 5),
        rating_comment          text,
        rated_at                timestamptz,
        version                 integer NOT NULL DEFAULT 1,
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now()
      )`);
    // The officer queue: open cases of one agency, overdue first, then by due date (partial: closed cases drop out).
    await q.query(`
      CREATE INDEX cases_open_queue ON cases (agency_code, overdue DESC, due_at, id)
      WHERE status NOT IN ('COMPLETED', 'WITHDRAWN')`);
    await q.query(`CREATE INDEX cases_queue_by_status ON cases (agency_code, status, overdue DESC, due_at, id)`);
    await q.query(`
      CREATE TABLE case_history (
        id               bigserial PRIMARY KEY,
        case_id          uuid NOT NULL REFERENCES cases (id),
        dossier_id       uuid NOT NULL,
        kind             text NOT NULL CHECK (kind IN ('MOVE', 'SLA_WARNING', 'OVERDUE')),
        from_status      text,
        to_status        text NOT NULL,
        actor_kind       text NOT NULL,
        actor_id         text NOT NULL,
        reason           text,
        at               timestamptz NOT NULL,
        due_at           timestamptz,
        from_agency_code text NOT NULL,
        to_agency_code   text
      )`);
    await q.query(`CREATE INDEX case_history_case ON case_history (case_id, id)`);
    await q.query(`CREATE INDEX case_history_dossier ON case_history (dossier_id, id)`);
    // History is evidence: rows are appended, never changed.
    await q.query(`
      CREATE FUNCTION case_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'case_history is append-only'; END $$`);
    await q.query(`
      CREATE TRIGGER case_history_no_change BEFORE UPDATE OR DELETE ON case_history
      FOR EACH ROW EXECUTE FUNCTION case_history_append_only()`);
    await q.query(`
      CREATE TABLE mailbox (
        id                    bigserial PRIMARY KEY,
        idempotency_key       text NOT NULL UNIQUE,
        recipient_personal_id text NOT NULL,
        dossier_id            uuid NOT NULL,
        channel               text NOT NULL,
        kind                  text NOT NULL,
        subject               text NOT NULL,
        body                  text NOT NULL,
        created_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX mailbox_recipient ON mailbox (recipient_personal_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mailbox, case_history, cases, dossier_events, case_dossiers`);
    await q.query(`DROP FUNCTION case_history_append_only`);
  }
}

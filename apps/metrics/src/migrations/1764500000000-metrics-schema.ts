import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One fact row per dossier, written by every event about it; rates are aggregated from these rows on query.
 *
 * Why facts and not incrementally maintained counters: events of different topics arrive in any order, and
 * several counts depend on two events (online payment needs the charge and the channel; end-to-end needs
 * submission, payment and result). A counter bumped by whichever event comes second is easy to get wrong on
 * redelivery or replay; a fact row where each event only sets its own columns (earliest/latest wins by the
 * event's business timestamp) converges to the same state in any order, and a replay can be compared row by row.
 * Query speed comes from one index per cohort day (a period query is a bitmap OR of four range scans) and a
 * partial index on the open cases for "overdue now". At national volume a daily rollup table refreshed from
 * these facts would be the next step; the API would not change.
 */
export class MetricsSchema1764500000000 implements MigrationInterface {
  name = 'MetricsSchema1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE metrics_dossier_facts (
        dossier_id           uuid PRIMARY KEY,
        agency_code          text,
        province_code        text,
        procedure_code       text,
        service_level        text,
        channel              text,
        dims_from_submission boolean NOT NULL DEFAULT false,
        submitted_at         timestamptz,
        submitted_day        date,
        fee_vnd              bigint,
        has_attachments      boolean,
        identity_status      text,
        fee_charged          boolean NOT NULL DEFAULT false,
        waived               boolean NOT NULL DEFAULT false,
        paid_online          boolean NOT NULL DEFAULT false,
        paid_offline         boolean NOT NULL DEFAULT false,
        payment_failed_final boolean NOT NULL DEFAULT false,
        refunded             boolean NOT NULL DEFAULT false,
        received_at          timestamptz,
        received_day         date,
        due_at               timestamptz,
        due_as_of            timestamptz,
        case_status          text,
        status_at            timestamptz,
        completed_at         timestamptz,
        completed_day        date,
        outcome              text,
        on_time              boolean,
        result_digital       boolean,
        rating               smallint,
        rated_at             timestamptz,
        rated_day            date,
        withdrawn_at         timestamptz
      )`);
    await q.query(`CREATE INDEX metrics_facts_submitted_day ON metrics_dossier_facts (submitted_day)`);
    await q.query(`CREATE INDEX metrics_facts_received_day ON metrics_dossier_facts (received_day)`);
    await q.query(`CREATE INDEX metrics_facts_completed_day ON metrics_dossier_facts (completed_day)`);
    await q.query(`CREATE INDEX metrics_facts_rated_day ON metrics_dossier_facts (rated_day)`);
    await q.query(`CREATE INDEX metrics_facts_agency ON metrics_dossier_facts (agency_code)`);
    await q.query(`
      CREATE INDEX metrics_facts_open_due ON metrics_dossier_facts (due_at)
      WHERE received_at IS NOT NULL AND completed_at IS NULL AND withdrawn_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE metrics_dossier_facts`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fee exemptions (data), the payment side of each dossier, payment intents and refunds. */
export class PaymentSchema1764300000000 implements MigrationInterface {
  name = 'PaymentSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fee_exemptions (
        id             serial PRIMARY KEY,
        province_code  text    NOT NULL,
        channel        text    NOT NULL CHECK (channel IN ('ONLINE', 'COUNTER')),
        procedure_code text,
        percent        integer NOT NULL CHECK (percent BETWEEN 1 AND 100),
        valid_from     date    NOT NULL,
        valid_to       date,
        basis          text    NOT NULL,
        CHECK (valid_to IS NULL OR valid_to >= valid_from)
      )`);
    await q.query(`CREATE INDEX fee_exemptions_lookup ON fee_exemptions (province_code, channel)`);
    await q.query(`
      CREATE TABLE payment_dossiers (
        dossier_id            uuid PRIMARY KEY,
        applicant_personal_id text,
        agency_code           text,
        procedure_code        text,
        province_code         text,
        channel               text,
        service_level         text,
        fee_vnd               bigint,
        submitted_at          timestamptz,
        identity_status       text CHECK (identity_status IN ('VERIFIED', 'REJECTED')),
        state                 text NOT NULL DEFAULT 'COLLECTING',
        base_amount_vnd       bigint,
        amount_vnd            bigint,
        waiver_reason         text,
        exemption_id          integer,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payment_dossiers_applicant ON payment_dossiers (applicant_personal_id)`);
    await q.query(`
      CREATE TABLE payment_intents (
        payment_id        uuid PRIMARY KEY,
        dossier_id        uuid        NOT NULL REFERENCES payment_dossiers (dossier_id),
        amount_vnd        bigint      NOT NULL CHECK (amount_vnd > 0),
        status            text        NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')),
        created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
        expires_at        timestamptz NOT NULL,
        session_id        text,
        checkout_url      text,
        gateway_reference text,
        method            text,
        settled_at        timestamptz,
        settled_via       text CHECK (settled_via IN ('CALLBACK', 'RECONCILIATION', 'EXPIRY')),
        failure_reason    text,
        flag              text,
        flag_detail       text
      )`);
    await q.query(`CREATE INDEX payment_intents_dossier ON payment_intents (dossier_id, created_at)`);
    // The invariants the state rules rely on, held by the database even under concurrent callbacks.
    await q.query(
      `CREATE UNIQUE INDEX payment_intents_one_pending ON payment_intents (dossier_id) WHERE status = 'PENDING'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX payment_intents_one_paid ON payment_intents (dossier_id) WHERE status = 'SUCCEEDED'`,
    );
    await q.query(`
      CREATE TABLE payment_refunds (
        payment_id        uuid PRIMARY KEY REFERENCES payment_intents (payment_id),
        dossier_id        uuid        NOT NULL,
        amount_vnd        bigint      NOT NULL,
        reason            text        NOT NULL,
        gateway_refund_id text        NOT NULL,
        cause_event_id    uuid        NOT NULL,
        refunded_at       timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payment_refunds`);
    await q.query(`DROP TABLE payment_intents`);
    await q.query(`DROP TABLE payment_dossiers`);
    await q.query(`DROP TABLE fee_exemptions`);
  }
}

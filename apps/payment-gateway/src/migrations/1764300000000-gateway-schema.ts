import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Checkout sessions, the ledger the payment service reconciles against, refunds and callback deliveries. */
export class GatewaySchema1764300000000 implements MigrationInterface {
  name = 'GatewaySchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gateway_sessions (
        session_id    text PRIMARY KEY,
        payment_id    uuid        NOT NULL,
        amount_vnd    bigint      NOT NULL CHECK (amount_vnd > 0),
        callback_url  text        NOT NULL,
        return_url    text,
        callback_mode text,
        status        text        NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'SUCCEEDED', 'FAILED')),
        created_at    timestamptz NOT NULL DEFAULT now(),
        completed_at  timestamptz
      )`);
    await q.query(`CREATE INDEX gateway_sessions_payment ON gateway_sessions (payment_id)`);
    await q.query(`
      CREATE TABLE gateway_ledger (
        id                bigserial PRIMARY KEY,
        kind              text        NOT NULL CHECK (kind IN ('PAYMENT', 'REFUND')),
        session_id        text,
        payment_id        uuid        NOT NULL,
        status            text        NOT NULL,
        amount_vnd        bigint      NOT NULL,
        gateway_reference text        NOT NULL UNIQUE,
        method            text,
        occurred_at       timestamptz NOT NULL,
        recorded_at       timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX gateway_ledger_recorded_at ON gateway_ledger (recorded_at)`);
    await q.query(`
      CREATE TABLE gateway_refunds (
        payment_id uuid PRIMARY KEY,
        refund_id  text        NOT NULL UNIQUE,
        amount_vnd bigint      NOT NULL,
        reason     text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE gateway_callback_deliveries (
        id          bigserial PRIMARY KEY,
        session_id  text        NOT NULL,
        attempt     integer     NOT NULL,
        status_code integer,
        error       text,
        sent_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX gateway_callback_deliveries_session ON gateway_callback_deliveries (session_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE gateway_callback_deliveries`);
    await q.query(`DROP TABLE gateway_refunds`);
    await q.query(`DROP TABLE gateway_ledger`);
    await q.query(`DROP TABLE gateway_sessions`);
  }
}

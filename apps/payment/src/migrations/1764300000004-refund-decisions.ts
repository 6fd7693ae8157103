import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A gateway refund is decided first and carried out after that decision committed: the row is written PENDING in
 * the transaction that decides it (with the correlation of the event that caused it, for the refund event), a
 * BullMQ job calls the gateway, and the outcome (REFUNDED with the gateway's refund id, or FAILED with the
 * gateway's refusal) is recorded with the event in one transaction. Partial indexes keep the timer rebuild's scans
 * of what is still open (pending refunds, unpaid dossiers) as small as what is open.
 */
export class RefundDecisions1764300000004 implements MigrationInterface {
  name = 'RefundDecisions1764300000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payment_refunds
        ADD COLUMN status         text NOT NULL DEFAULT 'REFUNDED' CHECK (status IN ('PENDING', 'REFUNDED', 'FAILED')),
        ADD COLUMN correlation_id text,
        ADD COLUMN requested_at   timestamptz,
        ADD COLUMN last_error     text,
        ALTER COLUMN refunded_at DROP NOT NULL,
        ALTER COLUMN refunded_at DROP DEFAULT,
        DROP CONSTRAINT payment_refunds_gateway_id`);
    await q.query(`UPDATE payment_refunds SET requested_at = refunded_at`);
    await q.query(`
      ALTER TABLE payment_refunds
        ALTER COLUMN requested_at SET NOT NULL,
        ALTER COLUMN requested_at SET DEFAULT now(),
        ADD CONSTRAINT payment_refunds_gateway_id CHECK (
          CASE method WHEN 'CASH_AT_COUNTER' THEN gateway_refund_id IS NULL
                      ELSE (status = 'REFUNDED') = (gateway_refund_id IS NOT NULL) END),
        ADD CONSTRAINT payment_refunds_refunded_at CHECK ((status = 'REFUNDED') = (refunded_at IS NOT NULL))`);
    await q.query(`CREATE INDEX payment_refunds_pending ON payment_refunds (payment_id) WHERE status = 'PENDING'`);
    await q.query(
      `CREATE INDEX payment_dossiers_awaiting ON payment_dossiers (dossier_id) WHERE state = 'AWAITING_PAYMENT'`,
    );
  }

  /** Fails (rather than lose them) while refunds are pending or failed. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payment_dossiers_awaiting`);
    await q.query(`DROP INDEX payment_refunds_pending`);
    await q.query(`
      ALTER TABLE payment_refunds
        DROP CONSTRAINT payment_refunds_refunded_at,
        DROP CONSTRAINT payment_refunds_gateway_id,
        ALTER COLUMN refunded_at SET NOT NULL,
        ALTER COLUMN refunded_at SET DEFAULT now(),
        ADD CONSTRAINT payment_refunds_gateway_id CHECK ((method = 'GATEWAY') = (gateway_refund_id IS NOT NULL)),
        DROP COLUMN last_error,
        DROP COLUMN requested_at,
        DROP COLUMN correlation_id,
        DROP COLUMN status`);
  }
}

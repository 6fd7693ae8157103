import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fees paid in cash at the agency's counter: the intent keeps the counter's receipt number, who recorded it and for
 * which agency (a receipt number is the agency's own series, so it is unique within the agency: one receipt never
 * pays two dossiers). Cash never went through the gateway, so its refund is owed at the counter rather than sent
 * back through the gateway: a refund row says which, and only a gateway refund has a gateway refund id.
 */
export class CashPayments1764300000003 implements MigrationInterface {
  name = 'CashPayments1764300000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payment_intents
        ADD COLUMN cash_receipt_no  text,
        ADD COLUMN cash_recorded_by text,
        ADD COLUMN cash_agency_code text,
        ADD CONSTRAINT payment_intents_cash_complete CHECK (
          (cash_receipt_no IS NULL) = (cash_recorded_by IS NULL) AND (cash_receipt_no IS NULL) = (cash_agency_code IS NULL)
        )`);
    await q.query(`ALTER TABLE payment_intents DROP CONSTRAINT payment_intents_settled_via_check`);
    await q.query(`
      ALTER TABLE payment_intents ADD CONSTRAINT payment_intents_settled_via_check
        CHECK (settled_via IN ('CALLBACK', 'RECONCILIATION', 'EXPIRY', 'COUNTER'))`);
    await q.query(
      `CREATE UNIQUE INDEX payment_intents_cash_receipt ON payment_intents (cash_agency_code, cash_receipt_no)
       WHERE cash_receipt_no IS NOT NULL`,
    );
    await q.query(`
      ALTER TABLE payment_refunds
        ADD COLUMN method text NOT NULL DEFAULT 'GATEWAY' CHECK (method IN ('GATEWAY', 'CASH_AT_COUNTER')),
        ALTER COLUMN gateway_refund_id DROP NOT NULL,
        ADD CONSTRAINT payment_refunds_gateway_id CHECK ((method = 'GATEWAY') = (gateway_refund_id IS NOT NULL))`);
  }

  /** Fails (rather than lose them) once cash payments or cash refunds were recorded. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payment_refunds
        DROP CONSTRAINT payment_refunds_gateway_id,
        ALTER COLUMN gateway_refund_id SET NOT NULL,
        DROP COLUMN method`);
    await q.query(`DROP INDEX payment_intents_cash_receipt`);
    await q.query(`ALTER TABLE payment_intents DROP CONSTRAINT payment_intents_settled_via_check`);
    await q.query(`
      ALTER TABLE payment_intents ADD CONSTRAINT payment_intents_settled_via_check
        CHECK (settled_via IN ('CALLBACK', 'RECONCILIATION', 'EXPIRY'))`);
    await q.query(`
      ALTER TABLE payment_intents
        DROP CONSTRAINT payment_intents_cash_complete,
        DROP COLUMN cash_agency_code,
        DROP COLUMN cash_recorded_by,
        DROP COLUMN cash_receipt_no`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mandatory TOTP (STAFF_TOTP_REQUIRED): a sign-in whose account has no second factor yet answers with a short-lived
 * enrolment token instead of a session. Only its SHA-256 is stored, with its end; one per account, replaced by the
 * next such sign-in, spent when TOTP is turned on, cleared by a reset or a password change.
 */
export class StaffTotpEnrolment1766600000000 implements MigrationInterface {
  name = 'StaffTotpEnrolment1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE staff_accounts
        ADD COLUMN totp_enrol_token_hash text,
        ADD COLUMN totp_enrol_expires_at timestamptz`);
    await q.query(`
      CREATE UNIQUE INDEX staff_accounts_totp_enrol_token ON staff_accounts (totp_enrol_token_hash)
        WHERE totp_enrol_token_hash IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX staff_accounts_totp_enrol_token`);
    await q.query(`ALTER TABLE staff_accounts DROP COLUMN totp_enrol_expires_at, DROP COLUMN totp_enrol_token_hash`);
  }
}

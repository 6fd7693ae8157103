import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff account security: forced password change, disabling, TOTP second factor with recovery codes, and sign-in
 * throttling by source and by (username, source) instead of the per-account hard lock, which anybody who knew a
 * username could trigger. Existing accounts keep their password and need no change.
 */
export class StaffAccountSecurity1766000000000 implements MigrationInterface {
  name = 'StaffAccountSecurity1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE staff_accounts
        DROP COLUMN failed_attempts,
        DROP COLUMN locked_until,
        ADD COLUMN must_change_password boolean     NOT NULL DEFAULT false,
        ADD COLUMN password_changed_at  timestamptz,
        ADD COLUMN disabled_at          timestamptz,
        -- AES-256-GCM under STAFF_TOTP_KEY, bound to the account id: never readable from the table alone.
        ADD COLUMN totp_secret_enc      text,
        ADD COLUMN totp_pending_enc     text,
        ADD COLUMN totp_enabled_at      timestamptz,
        -- The last 30-second step a code was accepted for: a code is never accepted twice.
        ADD COLUMN totp_last_step       bigint`);
    await q.query(`
      CREATE TABLE staff_recovery_codes (
        staff_id   uuid        NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
        code_hash  text        NOT NULL,
        created_at timestamptz NOT NULL,
        used_at    timestamptz,
        PRIMARY KEY (staff_id, code_hash)
      )`);
    // Keys: 's:<source>', 'u:<username>|s:<source>' and 'u:<username>'; the username as typed, known or not, so the
    // answer never depends on whether it exists.
    await q.query(`
      CREATE TABLE staff_signin_throttle (
        key           text        PRIMARY KEY,
        failures      integer     NOT NULL,
        last_at       timestamptz NOT NULL,
        blocked_until timestamptz
      )`);
    // Addresses each username has signed in from: the account-wide throttle never holds them back.
    await q.query(`
      CREATE TABLE staff_known_sources (
        username        text        NOT NULL,
        source          text        NOT NULL,
        last_success_at timestamptz NOT NULL,
        PRIMARY KEY (username, source)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE staff_known_sources`);
    await q.query(`DROP TABLE staff_signin_throttle`);
    await q.query(`DROP TABLE staff_recovery_codes`);
    await q.query(`
      ALTER TABLE staff_accounts
        DROP COLUMN must_change_password, DROP COLUMN password_changed_at, DROP COLUMN disabled_at,
        DROP COLUMN totp_secret_enc, DROP COLUMN totp_pending_enc, DROP COLUMN totp_enabled_at,
        DROP COLUMN totp_last_step,
        ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz`);
  }
}

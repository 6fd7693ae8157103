import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Citizen sign-in limits per (personal ID, device), personal ID, device and source address, replacing the count of
 * recent challenges per personal ID (which let anybody who knew an ID block that citizen's sign-in), and the devices
 * each citizen has signed in from, which the per-ID limit never holds back.
 */
export class CitizenSignInLimits1766500000000 implements MigrationInterface {
  name = 'CitizenSignInLimits1766500000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per bucket (keys in auth/citizen/sign-in-limits.ts), holding the instant it is empty again; a missing
    // row is an empty bucket, so rows past that instant are deleted.
    await q.query(`
      CREATE TABLE citizen_signin_limits (
        key      text        PRIMARY KEY,
        empty_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX citizen_signin_limits_empty_at ON citizen_signin_limits (empty_at)`);
    // The device id is stored as its SHA-256: the table alone does not let anybody pose as a known device.
    await q.query(`
      CREATE TABLE citizen_known_devices (
        personal_id     char(12)    NOT NULL,
        device_hash     text        NOT NULL,
        last_success_at timestamptz NOT NULL,
        PRIMARY KEY (personal_id, device_hash)
      )`);
    await q.query(`CREATE INDEX citizen_known_devices_last_success ON citizen_known_devices (last_success_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE citizen_known_devices`);
    await q.query(`DROP TABLE citizen_signin_limits`);
  }
}

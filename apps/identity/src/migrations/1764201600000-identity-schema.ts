import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The population registry, sign-in state (OTP challenges, staff accounts, refresh tokens) and signing keys. */
export class IdentitySchema1764201600000 implements MigrationInterface {
  name = 'IdentitySchema1764201600000';

  async up(q: QueryRunner): Promise<void> {
    // The primary key is the lookup path for every verification and sign-in: a B-tree, O(log n).
    await q.query(`
      CREATE TABLE citizens (
        personal_id           char(12) PRIMARY KEY,
        full_name             text     NOT NULL,
        gender                text     NOT NULL CHECK (gender IN ('male', 'female')),
        birth_date            date     NOT NULL,
        birth_province_code   char(2)  NOT NULL,
        permanent_address     text     NOT NULL,
        current_province_code char(2)  NOT NULL,
        ethnicity             text     NOT NULL,
        nationality           text     NOT NULL,
        deceased              boolean  NOT NULL,
        deceased_at           date,
        vneid_level           smallint NOT NULL CHECK (vneid_level BETWEEN 0 AND 2),
        phone                 text
      )`);
    await q.query(`
      CREATE TABLE otp_challenges (
        id          uuid        PRIMARY KEY,
        personal_id char(12)    NOT NULL,
        -- NULL: nobody to send a code to (unknown, deceased or no VNeID account); the challenge can never succeed.
        code_hash   text,
        attempts    integer     NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL,
        expires_at  timestamptz NOT NULL,
        consumed_at timestamptz
      )`);
    await q.query(`CREATE INDEX otp_challenges_rate ON otp_challenges (personal_id, created_at)`);
    await q.query(`
      CREATE TABLE staff_accounts (
        id              uuid        PRIMARY KEY,
        username        text        NOT NULL UNIQUE,
        password_hash   text        NOT NULL,
        role            text        NOT NULL CHECK (role IN ('officer', 'operator')),
        agency_code     text,
        display_name    text        NOT NULL,
        failed_attempts integer     NOT NULL DEFAULT 0,
        locked_until    timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CHECK (role <> 'officer' OR agency_code IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id           uuid        PRIMARY KEY,
        token_hash   text        NOT NULL UNIQUE,
        family_id    uuid        NOT NULL,
        subject_type text        NOT NULL CHECK (subject_type IN ('citizen', 'staff')),
        subject_id   text        NOT NULL,
        created_at   timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        revoked_at   timestamptz,
        replaced_by  uuid
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);
    await q.query(`
      CREATE TABLE signing_keys (
        kid         text        PRIMARY KEY,
        alg         text        NOT NULL,
        public_jwk  jsonb       NOT NULL,
        private_jwk jsonb       NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        -- Retired keys neither sign nor verify; rotation first adds a key, later retires the old one.
        retired_at  timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['signing_keys', 'refresh_tokens', 'staff_accounts', 'otp_challenges', 'citizens']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}

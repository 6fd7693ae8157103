import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Results anyone can verify: per-agency Ed25519 signing keys (private halves sealed with the service's key-encryption
 * key) and one signed record per issued result, found by its printed verification code.
 */
export class SignedResults1765100000000 implements MigrationInterface {
  name = 'SignedResults1765100000000';

  async up(q: QueryRunner): Promise<void> {
    // kid: the key's RFC 7638 thumbprint. sealed_private_key: AES-256-GCM of the PKCS#8 key (iv ‖ tag ‖ ciphertext)
    // with the row's kid, agency and public key as associated data, so a row assembled from other rows, or a key
    // inserted by someone without the KEK, fails to open. kek_id tells a wrong KEK from a forged row. Retired keys
    // stay: the results they signed are verified with them for good.
    await q.query(`
      CREATE TABLE result_signing_keys (
        kid                text PRIMARY KEY,
        agency_code        text NOT NULL,
        public_key         bytea NOT NULL,
        sealed_private_key bytea NOT NULL,
        kek_id             text NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        retired_at         timestamptz
      )`);
    // One key in use per agency: the first two results of a new agency, issued at once, share the key one of them made.
    await q.query(
      `CREATE UNIQUE INDEX result_signing_keys_current ON result_signing_keys (agency_code) WHERE retired_at IS NULL`,
    );
    // The signed fields are stored as they were signed (issued_at as text: the exact ISO string); the signature is
    // checked again on every read, so an edited field comes out invalid. Revocation is not signed: it only ever
    // takes trust away.
    await q.query(`
      CREATE TABLE signed_results (
        code           text PRIMARY KEY,
        case_id        uuid NOT NULL REFERENCES cases (id),
        result_id      text NOT NULL,
        document_hash  text NOT NULL,
        agency_code    text NOT NULL,
        procedure_code text NOT NULL,
        receipt_code   text,
        issued_at      text NOT NULL,
        kid            text NOT NULL REFERENCES result_signing_keys (kid),
        signature      bytea NOT NULL,
        revoked_at     timestamptz,
        revoked_by     text,
        revoke_reason  text
      )`);
    await q.query(`CREATE INDEX signed_results_case ON signed_results (case_id)`);
    await q.query(`ALTER TABLE cases ADD COLUMN verification_code text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases DROP COLUMN verification_code`);
    await q.query(`DROP TABLE signed_results, result_signing_keys`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token signing keys at rest: the private half sealed under SIGNING_KEY_KEK (`private_sealed`) instead of a plain
 * JWK. Existing plain keys are sealed by the service at its next start (the key is in the environment, not here);
 * `not_before` lets a rotated key be published in the JWKS before it signs.
 */
export class SealedSigningKeys1766100000000 implements MigrationInterface {
  name = 'SealedSigningKeys1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signing_keys ALTER COLUMN private_jwk DROP NOT NULL`);
    await q.query(`ALTER TABLE signing_keys ADD COLUMN private_sealed text`);
    await q.query(`ALTER TABLE signing_keys ADD COLUMN not_before timestamptz`);
    await q.query(`UPDATE signing_keys SET not_before = created_at`);
    await q.query(`ALTER TABLE signing_keys ALTER COLUMN not_before SET NOT NULL`);
    await q.query(`ALTER TABLE signing_keys ALTER COLUMN not_before SET DEFAULT now()`);
    await q.query(`
      ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_private_once
        CHECK ((private_jwk IS NULL) <> (private_sealed IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_private_once`);
    await q.query(`ALTER TABLE signing_keys DROP COLUMN not_before`);
    await q.query(`ALTER TABLE signing_keys DROP COLUMN private_sealed`);
  }
}

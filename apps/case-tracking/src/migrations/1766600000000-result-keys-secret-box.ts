import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Result-signing keys move onto the shared SecretBox format (`private_sealed`: `v2.<kekId>.<iv>.<tag>.<data>`, the
 * KEK named inside the value), so RESULT_SIGNING_KEK can be rotated. Keys sealed before stay in the first format
 * (`sealed_private_key` with `kek_id`) and still open; `nx run case-tracking:rekey` moves them. Each row holds
 * exactly one of the two.
 */
export class ResultKeysSecretBox1766600000000 implements MigrationInterface {
  name = 'ResultKeysSecretBox1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE result_signing_keys
        ADD COLUMN private_sealed text,
        ALTER COLUMN sealed_private_key DROP NOT NULL,
        ALTER COLUMN kek_id DROP NOT NULL`);
    await q.query(`
      ALTER TABLE result_signing_keys ADD CONSTRAINT result_signing_keys_sealed_once CHECK (
        (private_sealed IS NOT NULL AND sealed_private_key IS NULL AND kek_id IS NULL)
        OR (private_sealed IS NULL AND sealed_private_key IS NOT NULL AND kek_id IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Keys in the new format cannot be written back without the KEK: refuse rather than lose them.
    const [{ n } = { n: 0 }] = (await q.query(
      'SELECT count(*)::int AS n FROM result_signing_keys WHERE private_sealed IS NOT NULL',
    )) as { n: number }[];
    if (n > 0) throw new Error(`${n} result-signing key(s) are sealed in the new format; they cannot be moved back`);
    await q.query(`ALTER TABLE result_signing_keys DROP CONSTRAINT result_signing_keys_sealed_once`);
    await q.query(`
      ALTER TABLE result_signing_keys
        DROP COLUMN private_sealed,
        ALTER COLUMN sealed_private_key SET NOT NULL,
        ALTER COLUMN kek_id SET NOT NULL`);
  }
}

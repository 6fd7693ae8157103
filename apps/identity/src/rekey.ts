/**
 * `nx run identity:rekey`: re-seals every value identity keeps under a key-encryption key — the private halves of
 * the token signing keys (SIGNING_KEY_KEK) and the staff TOTP secrets (STAFF_TOTP_KEY) — under the current key.
 *
 * Rotation of either key: start every instance with the new key in the variable and the old one in its `_PREVIOUS`
 * companion (values open with whichever sealed them), run this command, then drop `_PREVIOUS` and restart. One
 * transaction per table; a value that opens with neither key stops that table's re-seal, naming the variable, and
 * changes nothing in it. Running it again re-seals nothing.
 */
import { createDataSource, migrateDatabase } from '@hoso/persistence';
import type { ResealCount } from '@hoso/nest-kit';
import { TotpSecretBox } from './auth/staff/second-factor';
import { resealTotpSecrets } from './auth/staff/totp-secrets';
import { loadConfig } from './config';
import { IDENTITY_MIGRATIONS } from './migrations';
import { resealSigningKeys } from './tokens/signing-key-rotation';
import { signingKeyBox } from './tokens/signing-key.store';

const report = (c: ResealCount, variable: string, kekId: string) =>
  `${c.table}: ${c.resealed} re-sealed under ${variable} (KEK id ${kekId}), ${c.current} already under it`;

async function main(): Promise<void> {
  const config = loadConfig();
  const database = {
    url: config.databaseUrl,
    migrationUrl: config.databaseMigrationUrl,
    applicationName: 'identity-rekey',
    migrations: IDENTITY_MIGRATIONS,
  };
  // The runtime role may not change the schema: migrations run as the owner (the migration URL, when set) first.
  await migrateDatabase(database);
  const ds = createDataSource(database);
  await ds.initialize();
  try {
    const signing = { current: config.signingKeyKek, previous: config.signingKeyKekPrevious };
    console.log(report(await resealSigningKeys(ds, signing), 'SIGNING_KEY_KEK', signingKeyBox(signing).kekId));
    const totp = new TotpSecretBox({ current: config.staffTotpKey, previous: config.staffTotpKeyPrevious });
    console.log(report(await resealTotpSecrets(ds, totp), 'STAFF_TOTP_KEY', totp.box.kekId));
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

/**
 * `nx run case-tracking:rekey`: re-seals the private half of every agency's result-signing key, retired ones included,
 * under the current RESULT_SIGNING_KEK, in SecretBox's format (keys of the first format move to it too).
 *
 * Rotation of the KEK: start every instance with the new key in RESULT_SIGNING_KEK and the old one in
 * RESULT_SIGNING_KEK_PREVIOUS (keys open with whichever sealed them), run this command, then drop the previous key
 * and restart. One transaction; a key that opens with neither stops it, naming the variable, and changes nothing.
 * Running it again re-seals nothing.
 */
import { createDataSource, migrateDatabase } from '@hoso/persistence';
import { loadConfig } from './config';
import { CASE_MIGRATIONS } from './migrations';
import { resealResultKeys, ResultKeyRing } from './results/result-signing';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = {
    url: config.databaseUrl,
    migrationUrl: config.databaseMigrationUrl,
    applicationName: 'case-tracking-rekey',
    migrations: CASE_MIGRATIONS,
  };
  // The runtime role may not change the schema: migrations run as the owner (the migration URL, when set) first.
  await migrateDatabase(database);
  const ds = createDataSource(database);
  await ds.initialize();
  try {
    const ring = new ResultKeyRing({ current: config.resultSigningKek, previous: config.resultSigningKekPrevious });
    const c = await resealResultKeys(ds, ring);
    console.log(
      `${c.table}: ${c.resealed} re-sealed under RESULT_SIGNING_KEK (KEK id ${ring.box.kekId}), ` +
        `${c.current} already under it`,
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

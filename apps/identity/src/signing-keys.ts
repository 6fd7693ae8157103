/**
 * `nx run identity:signing-keys -- list | rotate | retire`: the token signing keys of the identity database.
 *
 * - rotate: adds a key, published in the JWKS at once, signing after SIGNING_KEY_PUBLISH_SEC (default 15 min);
 * - retire: retires the keys a newer key replaced longer ago than the longest token lifetime;
 * - list: every key with its role (signing, published, previous, retired).
 *
 * Rotation routine: `rotate`, then (after at least the publication period plus the token lifetime) `retire`.
 */
import { createDataSource, migrateDatabase } from '@hoso/persistence';
import { loadConfig } from './config';
import { IDENTITY_MIGRATIONS } from './migrations';
import { listSigningKeys, retireSigningKeys, rotateSigningKey } from './tokens/signing-key-rotation';

const USAGE = 'usage: nx run identity:signing-keys -- <list|rotate|retire>';

async function main([command, ...rest]: string[]): Promise<number> {
  if (command !== 'list' && command !== 'rotate' && command !== 'retire') {
    console.error(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
    return 2;
  }
  // It takes no options: `rotate --dry-run` must not rotate as if the flag were not there.
  if (rest.length > 0) {
    console.error(`unexpected argument "${rest[0] ?? ''}": ${command} takes none\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const database = {
    url: config.databaseUrl,
    migrationUrl: config.databaseMigrationUrl,
    applicationName: 'identity-signing-keys',
    migrations: IDENTITY_MIGRATIONS,
  };
  // The runtime role may not change the schema: migrations run as the owner (the migration URL, when set) first.
  await migrateDatabase(database);
  const ds = createDataSource(database);
  await ds.initialize();
  try {
    const now = new Date();
    if (command === 'rotate') {
      const { kid, signsFrom } = await rotateSigningKey(ds, config.signingKeyKek, now, config.SIGNING_KEY_PUBLISH_SEC);
      console.log(`added ${kid}: published now, signs from ${signsFrom.toISOString()}`);
    } else if (command === 'retire') {
      const retired = await retireSigningKeys(ds, now, config.ACCESS_TOKEN_TTL_SEC);
      console.log(retired.length ? `retired ${retired.join(', ')}` : 'no key can be retired yet');
    }
    for (const k of await listSigningKeys(ds, now)) {
      console.log(`${k.role.padEnd(9)} ${k.kid}  signs from ${k.notBefore.toISOString()}`);
    }
    return 0;
  } finally {
    await ds.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);

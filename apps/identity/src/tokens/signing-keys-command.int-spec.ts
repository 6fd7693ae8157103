/**
 * `nx run identity:signing-keys -- list | rotate | retire` as an operator runs it: the script in its own process
 * against a fresh database, judged by what it prints, its exit code and what the signing_keys table holds after.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { DataSource } from 'typeorm';
import { createDataSource, createTestDatabase, migrateDatabase } from '@hoso/persistence';
import { runScript, testEnv, type ScriptRun } from '@hoso/testing';
import { IDENTITY_MIGRATIONS } from '../migrations';
import { addSigningKey, SIGNING_ALG, signingKeyBox } from './signing-key.store';

const SCRIPT = 'apps/identity/src/signing-keys.ts';
const KEK = 'signing-keys-command-test-kek-0123456789';
const PUBLISH_SEC = 600;
const USAGE = 'usage: nx run identity:signing-keys -- <list|rotate|retire>';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  private_jwk: unknown;
  private_sealed: string;
  not_before: Date;
  retired_at: Date | null;
}

describe('identity: the signing-keys command (its own process, a fresh database)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  /** The seeded keys: long retired, replaced (still verifying), signing for an hour. */
  let retired: string;
  let previous: string;
  let signer: string;
  /** The key `rotate` adds. */
  let added: string;

  /** The script as `nx run identity:signing-keys -- <args>` starts it, with only PATH and these variables. */
  const signingKeys = (...args: string[]): Promise<ScriptRun> =>
    runScript(
      SCRIPT,
      {
        HOSO_DEV_MODE: '1',
        NODE_ENV: 'test',
        DATABASE_URL: testEnv.DATABASE_URL,
        IDENTITY_DATABASE_URL: db.url,
        LOG_LEVEL: 'silent',
        SIGNING_KEY_KEK: KEK,
        SIGNING_KEY_PUBLISH_SEC: String(PUBLISH_SEC),
      },
      args,
    );

  const rows = () =>
    ds.query<KeyRow[]>(
      'SELECT kid, alg, public_jwk, private_jwk, private_sealed, not_before, retired_at FROM signing_keys ORDER BY kid',
    );
  const row = async (kid: string) => (await rows()).find((r) => r.kid === kid) as KeyRow;
  /** The line `list` prints for a key, from what the table holds. */
  const line = async (role: string, kid: string) =>
    `${role.padEnd(9)} ${kid}  signs from ${(await row(kid)).not_before.toISOString()}`;
  const lines = (out: string) => out.trimEnd().split('\n');
  const seed = async (notBefore: Date) => ds.transaction((m) => addSigningKey(m, signingKeyBox(KEK), notBefore));

  beforeAll(async () => {
    db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_t_identity_keys_cmd');
    const options = { url: db.url, applicationName: 'signing-keys-command-test', migrations: IDENTITY_MIGRATIONS };
    await migrateDatabase(options);
    ds = createDataSource({ ...options, poolSize: 2 });
    await ds.initialize();
    const now = Date.now();
    retired = await seed(new Date(now - 30 * DAY));
    await ds.query('UPDATE signing_keys SET retired_at = $2 WHERE kid = $1', [retired, new Date(now - 20 * DAY)]);
    previous = await seed(new Date(now - 10 * DAY));
    // Signing for less than the longest token lifetime (prefill grants, 2 h): tokens of `previous` may still be valid.
    signer = await seed(new Date(now - HOUR));
  });

  afterAll(async () => {
    // Undefined when beforeAll failed half-way.
    if ((ds as DataSource | undefined)?.isInitialized) await ds.destroy();
    await (db as typeof db | undefined)?.drop();
  });

  it('list: prints every key with its role, newest first, and changes nothing', async () => {
    const before = await rows();
    const run = await signingKeys('list');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      await line('signing', signer),
      await line('previous', previous),
      await line('retired', retired),
    ]);
    expect(await rows()).toEqual(before);
  });

  it.each([
    ['no subcommand', [], USAGE],
    ['an unknown subcommand', ['rotat'], `unknown command "rotat"\n${USAGE}`],
    ['a flag in place of the subcommand', ['--force'], `unknown command "--force"\n${USAGE}`],
    // Run while a rotation would succeed: an operator who hoped for a dry run must not get a rotation.
    [
      'rotate with a flag it does not know',
      ['rotate', '--dry-run'],
      `unexpected argument "--dry-run": rotate takes none\n${USAGE}`,
    ],
    [
      'retire with a flag it does not know',
      ['retire', '--all'],
      `unexpected argument "--all": retire takes none\n${USAGE}`,
    ],
  ])('%s: exit 2 with the usage on stderr, table unchanged', async (_, args, message) => {
    const before = await rows();
    const run = await signingKeys(...args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(message);
    expect(run.stdout).toBe('');
    expect(await rows()).toEqual(before);
  });

  it('rotate: adds a sealed key that is published at once and signs only after the publication period', async () => {
    const before = await rows();
    const from = Date.now();
    const run = await signingKeys('rotate');
    const to = Date.now();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [first, ...listed] = lines(run.stdout);
    const m = /^added (\S+): published now, signs from (\S+)$/.exec(first ?? '');
    expect(m).not.toBeNull();
    added = m?.[1] ?? '';
    const signsFrom = Date.parse(m?.[2] ?? '');
    expect(signsFrom).toBeGreaterThanOrEqual(from + PUBLISH_SEC * 1000);
    expect(signsFrom).toBeLessThanOrEqual(to + PUBLISH_SEC * 1000);
    // Published but not signing: the old signer keeps signing until the new key's time comes.
    expect(listed).toEqual([
      await line('published', added),
      await line('signing', signer),
      await line('previous', previous),
      await line('retired', retired),
    ]);

    const after = await rows();
    expect(after.filter((r) => r.kid !== added)).toEqual(before);
    const key = await row(added);
    expect(key).toMatchObject({ alg: SIGNING_ALG, private_jwk: null, retired_at: null });
    expect(key.not_before.getTime()).toBe(signsFrom);
    expect(await calculateJwkThumbprint(key.public_jwk)).toBe(added);
    // Sealed under the configured key-encryption key, bound to its kid: the private half of the published key.
    const opened = JSON.parse(signingKeyBox(KEK).open(added, key.private_sealed).toString('utf8')) as JWK;
    expect(opened).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: key.public_jwk.x });
    expect(typeof opened.d).toBe('string');
  });

  it('rotate again while a key is still being published: refused, exit 1, nothing added', async () => {
    const before = await rows();
    const run = await signingKeys('rotate');
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`key ${added} is still being published; rotate again once it signs`);
    expect(run.stdout).toBe('');
    expect(await rows()).toEqual(before);
  });

  it('retire: nothing while the signer is younger than the longest token; then exactly the replaced key', async () => {
    let before = await rows();
    const early = await signingKeys('retire');
    expect(early.stderr).toBe('');
    expect(early.code).toBe(0);
    expect(lines(early.stdout)[0]).toBe('no key can be retired yet');
    expect(await rows()).toEqual(before);

    // The signer has now signed for longer than any token of `previous` can live.
    await ds.query(`UPDATE signing_keys SET not_before = now() - interval '3 hours' WHERE kid = $1`, [signer]);
    before = await rows();
    const from = Date.now();
    const run = await signingKeys('retire');
    const to = Date.now();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      `retired ${previous}`,
      await line('published', added),
      await line('signing', signer),
      await line('retired', previous),
      await line('retired', retired),
    ]);
    const retiredAt = (await row(previous)).retired_at?.getTime() ?? 0;
    expect(retiredAt).toBeGreaterThanOrEqual(from);
    expect(retiredAt).toBeLessThanOrEqual(to);
    // Only `previous` changed: the signer and the key being published stay, the old retirement keeps its date.
    const unchanged = (rs: KeyRow[]) => rs.filter((r) => r.kid !== previous);
    expect(unchanged(await rows())).toEqual(unchanged(before));
    expect((await row(signer)).retired_at).toBeNull();
    expect((await row(added)).retired_at).toBeNull();

    before = await rows();
    const again = await signingKeys('retire');
    expect(again.code).toBe(0);
    expect(lines(again.stdout)[0]).toBe('no key can be retired yet');
    expect(await rows()).toEqual(before);
  });
});

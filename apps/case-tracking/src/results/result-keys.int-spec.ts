import { createCipheriv, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, createTestDatabase, runMigrations } from '@hoso/persistence';
import { runScript, testEnv } from '@hoso/testing';
import { CASE_MIGRATIONS } from '../migrations';
import {
  keyThumbprint,
  legacyAssociatedData,
  legacyKekId,
  ResultKeyRing,
  ResultSigner,
  signedPayload,
  type SignedFields,
} from './result-signing';

const OLD = randomBytes(32);
const NEW = randomBytes(32);

/** A key as releases before SecretBox sealed it: AES-256-GCM under the KEK itself, `iv ‖ tag ‖ ciphertext`. */
function legacyRow(kek: Buffer, agencyCode: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = keyThumbprint(publicKey);
  const publicDer = publicKey.export({ format: 'der', type: 'spki' });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(legacyAssociatedData(kid, agencyCode, publicDer));
  const body = Buffer.concat([cipher.update(privateKey.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
  return { kid, agencyCode, publicDer, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]), privateKey };
}

const fieldsFor = (kid: string, agencyCode: string): SignedFields => ({
  code: 'ABCDEFGHJKMNPQRSTVWXYZ2345',
  documentHash: 'a'.repeat(64),
  agencyCode,
  procedureCode: '1.000001',
  issuedAt: '2026-03-02T02:00:00.000Z',
  receiptCode: null,
  kid,
});

describe('case-tracking: result-signing keys on SecretBox, and rotation of RESULT_SIGNING_KEK (real PostgreSQL)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let legacy: ReturnType<typeof legacyRow>;
  let legacySignature: Buffer;
  let newFormatKid: string;

  const signer = async (current: Buffer, previous: Buffer | null = null) => {
    const s = new ResultSigner(ds, {
      resultSigningKek: Buffer.from(current),
      resultSigningKekPrevious: previous && Buffer.from(previous),
    });
    await s.onModuleInit();
    return s;
  };
  const keyRows = () =>
    ds.query<
      { kid: string; private_sealed: string | null; sealed_private_key: Buffer | null; kek_id: string | null }[]
    >('SELECT kid, private_sealed, sealed_private_key, kek_id FROM result_signing_keys ORDER BY kid');

  /** `nx run case-tracking:rekey` as an operator runs it (the same script, its own process). */
  const rekey = (env: Record<string, string>) =>
    runScript('apps/case-tracking/src/rekey.ts', {
      HOSO_DEV_MODE: '1',
      NODE_ENV: 'test',
      DATABASE_URL: testEnv.DATABASE_URL,
      CASE_DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      ...env,
    });

  beforeAll(async () => {
    db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_t_case_keys');
    // The schema as it was before the keys moved onto SecretBox, with keys sealed the first way: the current key
    // of P01, and a retired one of P79.
    const before = createDataSource({
      url: db.url,
      applicationName: 'case-keys-test',
      migrations: CASE_MIGRATIONS.slice(0, -1),
    });
    await before.initialize();
    await runMigrations(before);
    legacy = legacyRow(OLD, 'P01');
    const retired = legacyRow(OLD, 'P79');
    for (const [k, retiredAt] of [
      [legacy, null],
      [retired, new Date()],
    ] as const) {
      await before.query(
        `INSERT INTO result_signing_keys (kid, agency_code, public_key, sealed_private_key, kek_id, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [k.kid, k.agencyCode, k.publicDer, k.sealed, legacyKekId(OLD), retiredAt],
      );
    }
    legacySignature = sign(null, signedPayload(fieldsFor(legacy.kid, 'P01')), legacy.privateKey);
    await before.destroy();
    ds = createDataSource({ url: db.url, applicationName: 'case-keys-test', migrations: CASE_MIGRATIONS });
    await ds.initialize();
    await runMigrations(ds);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('keeps the keys sealed the first way working and seals new keys with SecretBox', async () => {
    const s = await signer(OLD);
    expect((await s.currentKey('P01')).kid).toBe(legacy.kid);
    expect(await s.verify(ds, fieldsFor(legacy.kid, 'P01'), legacySignature)).toBe(true);
    const made = await s.currentKey('P48');
    newFormatKid = made.kid;
    const row = (await keyRows()).find((r) => r.kid === made.kid)!;
    const oldId = new ResultKeyRing({ current: OLD }).box.kekId;
    expect(row).toMatchObject({ sealed_private_key: null, kek_id: null });
    expect(row.private_sealed).toMatch(new RegExp(`^v2\\.${oldId}\\.`));
    const fields = fieldsFor(made.kid, 'P48');
    expect(await s.verify(ds, fields, s.sign(made, fields))).toBe(true);
    // A row holds one format, never both or neither.
    await expect(ds.query(`UPDATE result_signing_keys SET kek_id = 'x' WHERE kid = $1`, [made.kid])).rejects.toThrow(
      /result_signing_keys_sealed_once/,
    );
  });

  it('opens keys of the old KEK with RESULT_SIGNING_KEK_PREVIOUS, and without it refuses to start, naming it', async () => {
    const rotating = await signer(NEW, OLD);
    expect(await rotating.verify(ds, fieldsFor(legacy.kid, 'P01'), legacySignature)).toBe(true);
    expect((await rotating.currentKey('P48')).kid).toBe(newFormatKid);
    await expect(signer(NEW)).rejects.toThrow(
      /^result-signing key \S+ does not open with RESULT_SIGNING_KEK: it was sealed under another key-encryption key/,
    );
  });

  it('re-seals every key, retired ones and the first format included, once; afterwards the old KEK can go', async () => {
    const env = { RESULT_SIGNING_KEK: NEW.toString('base64'), RESULT_SIGNING_KEK_PREVIOUS: OLD.toString('base64') };
    const newId = new ResultKeyRing({ current: NEW }).box.kekId;
    const first = await rekey(env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(
      `result_signing_keys: 3 re-sealed under RESULT_SIGNING_KEK (KEK id ${newId}), 0 already under it`,
    );
    const rows = await keyRows();
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({ sealed_private_key: null, kek_id: null });
      expect(r.private_sealed).toMatch(new RegExp(`^v2\\.${newId}\\.`));
    }
    const second = await rekey(env);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(
      `result_signing_keys: 0 re-sealed under RESULT_SIGNING_KEK (KEK id ${newId}), 3 already under it`,
    );
    expect(await keyRows()).toEqual(rows);

    // Without the previous KEK: every key opens, the old signatures verify, new keys are sealed under the new KEK.
    const rotated = await signer(NEW);
    expect(await rotated.verify(ds, fieldsFor(legacy.kid, 'P01'), legacySignature)).toBe(true);
    expect((await rotated.currentKey('P48')).kid).toBe(newFormatKid);
    const made = await rotated.currentKey('P36');
    expect((await keyRows()).find((r) => r.kid === made.kid)?.private_sealed).toMatch(new RegExp(`^v2\\.${newId}\\.`));
    // The old KEK, or two wrong ones, no longer start the service.
    await expect(signer(OLD)).rejects.toThrow(/does not open with RESULT_SIGNING_KEK: it was sealed under another/);
    await expect(signer(randomBytes(32), randomBytes(32))).rejects.toThrow(
      /does not open with RESULT_SIGNING_KEK or RESULT_SIGNING_KEK_PREVIOUS/,
    );
  }, 120_000);

  it('never re-seals a forged key: the command stops naming it, and the service still starts and calls it untrusted', async () => {
    // A forger's key with a seal made for another row under the previous KEK (so it names a KEK the rotation
    // knows): it does not open for this row.
    const forger = generateKeyPairSync('ed25519');
    const forgerKid = keyThumbprint(forger.publicKey);
    const borrowed = new ResultKeyRing({ current: OLD }).seal(legacy.kid, 'P01', legacy.publicDer, randomBytes(48));
    await ds.query(
      `INSERT INTO result_signing_keys (kid, agency_code, public_key, private_sealed, retired_at)
       VALUES ($1, 'P01', $2, $3, now())`,
      [forgerKid, forger.publicKey.export({ format: 'der', type: 'spki' }), borrowed],
    );
    const before = await keyRows();
    const refused = await rekey({
      RESULT_SIGNING_KEK: NEW.toString('base64'),
      RESULT_SIGNING_KEK_PREVIOUS: OLD.toString('base64'),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `result-signing key ${forgerKid} does not open with RESULT_SIGNING_KEK or RESULT_SIGNING_KEK_PREVIOUS`,
    );
    expect(refused.stderr).toMatch(/changed or forged.*; nothing re-sealed/);
    expect(await keyRows()).toEqual(before);

    const s = await signer(NEW, OLD);
    const forged = fieldsFor(forgerKid, 'P01');
    expect(await s.verify(ds, forged, sign(null, signedPayload(forged), forger.privateKey))).toBe(false);
    expect(await s.verify(ds, fieldsFor(legacy.kid, 'P01'), legacySignature)).toBe(true);
  }, 120_000);
});

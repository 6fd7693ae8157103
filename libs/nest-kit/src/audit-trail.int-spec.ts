import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { createDataSource, createTestDatabase } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';
import {
  AUDIT_GENESIS_HASH,
  appendAuditRecord,
  AuditTrailTables1764900000000,
  chainHash,
  recordAudit,
  verifyAuditTrail,
} from './audit-trail';

describe('audit trail: append-only, hash-chained, verifiable', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  const logger = pino({ level: 'silent' });
  const officer = { sub: 'officer-1', role: 'officer' };

  beforeAll(async () => {
    db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_t_audit');
    ds = createDataSource({ url: db.url, applicationName: 'audit-test', migrations: [AuditTrailTables1764900000000] });
    await ds.initialize();
    await ds.runMigrations();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('chains entries from the genesis hash, keeps them only with their action, and serialises concurrent appends', async () => {
    const empty = await verifyAuditTrail(ds.manager);
    expect(empty).toEqual({ ok: true, entries: 0, headHash: AUDIT_GENESIS_HASH });

    await ds.transaction((m) =>
      recordAudit(m, logger, { action: 'case.claim', outcome: 'allowed', actor: officer, resource: 'case/1' }),
    );
    // An action that rolls back leaves no record.
    await expect(
      ds.transaction(async (m) => {
        await recordAudit(m, logger, { action: 'case.decide', outcome: 'allowed', actor: officer, resource: 'case/1' });
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    // Twenty concurrent appends form one chain without a fork.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ds.transaction((m) =>
          appendAuditRecord(m, {
            action: 'staff.sign-in',
            outcome: i % 3 ? 'allowed' : 'denied',
            actor: { sub: `s-${i}`, role: 'officer' },
            at: new Date(),
            details: { attempt: i, from: { ip: '10.0.0.1', z: 1, a: 2 } },
          }),
        ),
      ),
    );
    const v = await verifyAuditTrail(ds.manager, 7);
    expect(v).toMatchObject({ ok: true, entries: 21 });
    const first = await ds.query<{ entry: string; hash: string }[]>(
      `SELECT entry, encode(hash, 'hex') AS hash FROM audit_trail WHERE seq = 1`,
    );
    expect(first[0]?.hash).toBe(chainHash(AUDIT_GENESIS_HASH, first[0]?.entry ?? ''));
    expect(await ds.query(`SELECT action, actor_sub FROM audit_trail WHERE seq = 1`)).toEqual([
      { action: 'case.claim', actor_sub: 'officer-1' },
    ]);
  });

  /** `npm run audit-log --` against the test database, as if it were identity's. */
  const auditLog = (args: string[]) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '../scripts/audit-log.ts'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, IDENTITY_DATABASE_URL: db.url },
      timeout: 60_000,
    });

  it('reports an intact trail from the command line', () => {
    const cli = auditLog(['verify', '--service', 'identity']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/^✔ identity\s+21 entries, head [0-9a-f]{64}\n$/);
    expect(cli.status).toBe(0);
    const usage = auditLog(['verify', '--service', 'nobody']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('unknown service "nobody"');
  });

  it('refuses updates and deletes, and a row edited directly in PostgreSQL breaks verification at that entry', async () => {
    await expect(ds.query(`UPDATE audit_trail SET entry = entry WHERE seq = 5`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM audit_trail WHERE seq = 5`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`TRUNCATE audit_trail`)).rejects.toThrow(/append-only/);

    // Someone with DDL rights turns the guard off and rewrites entry 5's outcome (whichever of the concurrent
    // appends got seq 5, and so whatever its outcome was).
    await ds.query(`ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only`);
    try {
      await ds.query(
        `UPDATE audit_trail SET entry = regexp_replace(entry, '"outcome":"[a-z]+"', '"outcome":"failed"') WHERE seq = 5`,
      );
      const edited = await ds.query<{ entry: string }[]>(`SELECT entry FROM audit_trail WHERE seq = 5`);
      expect(edited[0]?.entry).toContain('"outcome":"failed"');
      expect(await verifyAuditTrail(ds.manager)).toEqual({
        ok: false,
        entries: 4,
        brokenAt: 5,
        reason: 'entry 5 was changed after it was written',
      });

      // Recomputing entry 5's own hash does not help: entry 6 no longer links to it.
      await ds.query(`UPDATE audit_trail SET hash = sha256(prev_hash || convert_to(entry, 'UTF8')) WHERE seq = 5`);
      expect(await verifyAuditTrail(ds.manager)).toMatchObject({ ok: false, brokenAt: 6 });

      // The operator's command names the same entry and exits 1.
      const cli = auditLog(['verify', '--service', 'identity']);
      expect(cli.status).toBe(1);
      expect(cli.stdout).toMatch(/✘ identity\s+BROKEN at entry 6: entry 6 does not link to the entry before it/);

      // Removing the tail is seen through the head row.
      await ds.query(`DELETE FROM audit_trail WHERE seq >= 5`);
      expect(await verifyAuditTrail(ds.manager)).toMatchObject({ ok: false, brokenAt: 5, entries: 4 });
    } finally {
      await ds.query(`ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_append_only`);
    }
  });
});

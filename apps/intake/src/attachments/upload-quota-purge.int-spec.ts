// The upload quota and the purge of unattached uploads, on the whole intake application with real PostgreSQL and
// Kafka. The app is started here rather than with startIntake() because the quota must be small enough to reach
// with a few uploads (the shared harness runs with the production defaults).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { intakeRootModule } from '../app.module';
import { loadConfig } from '../config';
import { maritalStatusForm, pdfBytes, TEST_PROCEDURE } from '../testing/intake-test-app';
import { AttachmentPurge } from './attachment-purge';

jest.setTimeout(120_000);

const KIB = 1024;
const MAX_FILE = 16 * KIB;
const QUOTA_BYTES = 40 * KIB;
const QUOTA_FILES = 5;
const AGENCY = 'C00070'; // Phường Hoàn Kiếm, Hà Nội
/** The first key of the quota's advisory lock (upload-quota.ts). */
const QUOTA_LOCK_CLASS = 0x68736f71;

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  correlationId: string;
}

describe('intake uploads: per-user quota of unattached uploads and their purge', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let dir: string;
  let ds: DataSource;
  let purge: AttachmentPurge;
  const logLines: Record<string, unknown>[] = [];
  let pid = 1;

  beforeAll(async () => {
    env = await createTestEnvironment(['intake']);
    dir = await mkdtemp(join(tmpdir(), 'hoso-intake-quota-'));
    const config = loadConfig({
      // Development mode: the pool connects as the test server's superuser (docs/security.md, "Database roles").
      HOSO_DEV_MODE: '1',
      DATABASE_URL: testEnv.DATABASE_URL,
      INTAKE_DATABASE_URL: env.databases['intake'],
      ...env.kafkaEnv('intake'),
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      AUTH_JWKS_URL: env.issuer.jwksUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      ATTACHMENT_DIR: dir,
      ATTACHMENT_MAX_BYTES: String(MAX_FILE),
      ATTACHMENT_QUOTA_BYTES: String(QUOTA_BYTES),
      ATTACHMENT_QUOTA_FILES: String(QUOTA_FILES),
      // The loop stays out of the way; the tests run the purge themselves, at the moments they choose.
      ATTACHMENT_PURGE_EVERY_SEC: '3600',
      ATTACHMENT_PURGE_BATCH: '2',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        }
        cb();
      },
    });
    const logger = pino({ name: 'intake', level: 'info', base: { service: 'intake' } }, sink);
    app = await createServiceApp(intakeRootModule(config, logger), {
      name: 'intake',
      title: 'intake',
      description: 'test',
      logger,
    });
    await app.init();
    ds = app.get(DataSource);
    purge = app.get(AttachmentPurge);
  });

  afterAll(async () => {
    await app.close();
    await env.close();
    await rm(dir, { recursive: true, force: true });
  });

  const http = () => request(app.getHttpServer() as Parameters<typeof request>[0]);
  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    await ds.query<T[]>(sql, params);

  /** A citizen nobody else uses: its quota starts empty. */
  async function newCitizen(): Promise<{ token: string; pid: string; sub: string }> {
    const id = `0010900${String(pid++).padStart(5, '0')}`;
    return { token: await env.issuer.citizen(id, { name: 'Nguyễn Văn An' }), pid: id, sub: `citizen:${id}` };
  }

  async function upload(token: string, size = KIB) {
    return await http()
      .post('/attachments')
      .set('Authorization', `Bearer ${token}`)
      .attach('file', pdfBytes(size), { filename: 'giay-to.pdf', contentType: 'application/pdf' });
  }

  async function uploadOk(token: string, size = KIB): Promise<string> {
    const res = await upload(token, size);
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  }

  async function submit(who: { token: string; pid: string }, attachmentIds: string[]) {
    return await http()
      .post('/dossiers')
      .set('Authorization', `Bearer ${who.token}`)
      .set('Idempotency-Key', randomUUID())
      .send({ procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(who.pid), attachmentIds });
  }

  const rowsOf = async (sub: string) =>
    await query<{ id: string; dossier_id: string | null }>(
      'SELECT id, dossier_id FROM attachments WHERE owner_sub = $1 ORDER BY id',
      [sub],
    );
  const files = async () => (await readdir(dir)).sort();

  /**
   * The storage holds exactly one file per attachment row (no half-written `.part` file, no file of a refused or
   * deleted upload). Polled: a refused upload's file is removed just after its answer is sent.
   */
  async function storageMatchesRows(): Promise<void> {
    await eventually('the files on disk to be exactly those of the attachment rows', async () => {
      const keys = (await query<{ storage_key: string }>('SELECT storage_key FROM attachments ORDER BY 1')).map(
        (r) => r.storage_key,
      );
      const onDisk = await files();
      return JSON.stringify(onDisk) === JSON.stringify(keys.sort()) ? true : undefined;
    });
  }

  function backdate(ids: string[]) {
    return query(`UPDATE attachments SET created_at = now() - interval '25 hours' WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async function metric(name: string): Promise<number> {
    const text = (await http().get('/metrics').expect(200)).text;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  }

  describe('quota', () => {
    it('refuses the upload after the last file allowed with 409 in the error shape, storing nothing', async () => {
      const a = await newCitizen();
      for (let i = 0; i < QUOTA_FILES; i++) await uploadOk(a.token);
      await storageMatchesRows();
      const rowsBefore = (await query('SELECT id FROM attachments')).length;
      const filesBefore = (await files()).length;

      const res = await upload(a.token);
      expect(res.status).toBe(409);
      const body = res.body as ErrorBody;
      expect(body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message:
          `upload quota reached: you hold 5 uploads not attached to a dossier, the most allowed is 5; submit them ` +
          `with a dossier or delete some; uploads not attached to a dossier are deleted 24 h after upload`,
        correlationId: expect.any(String) as unknown,
      });
      expect(res.headers['x-correlation-id']).toBe(body.correlationId);

      expect((await query('SELECT id FROM attachments')).length).toBe(rowsBefore);
      await storageMatchesRows();
      expect((await files()).length).toBe(filesBefore);
      // Another citizen's quota is their own.
      await uploadOk((await newCitizen()).token);
      expect(await metric('intake_attachment_quota_refusals_total')).toBeGreaterThanOrEqual(1);
    });

    it('refuses a file that would pass the byte limit: cut in the stream, or on its final size', async () => {
      const b = await newCitizen();
      await uploadOk(b.token, MAX_FILE);
      await uploadOk(b.token, MAX_FILE); // 32 KiB of 40
      const rowsBefore = await rowsOf(b.sub);

      // 8 KiB are left: a 16 KiB file is cut once it passes them, before it is all on disk.
      const cut = await upload(b.token, MAX_FILE);
      expect(cut.status).toBe(409);
      expect((cut.body as ErrorBody).message).toBe(
        'upload quota reached: you hold 32 KiB (32,768 bytes) in uploads not attached to a dossier, with this file ' +
          'that would be more than the most allowed, 40 KiB (40,960 bytes); submit them with a dossier or delete ' +
          'some; uploads not attached to a dossier are deleted 24 h after upload',
      );
      expect(await rowsOf(b.sub)).toEqual(rowsBefore);
      await storageMatchesRows();

      // The check that decides is the one after the stream, under the owner's lock: hold that lock, let an upload
      // that fits the headroom it was given stream and wait for it, and meanwhile record another 4 KiB for the
      // owner, as a parallel upload would. The waiting upload then sees 36 + 8 KiB and is refused.
      const blocker = new pg.Client({ connectionString: env.databases['intake'] });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [QUOTA_LOCK_CLASS, b.sub]);
        const pending = upload(b.token, 8 * KIB);
        await eventually('the upload to wait for its owner’s quota lock', async () => {
          const { rows } = await blocker.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks
             WHERE locktype = 'advisory' AND NOT granted AND classid = $1::oid
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [QUOTA_LOCK_CLASS],
          );
          return rows[0]?.n === 1 ? true : undefined;
        });
        await blocker.query(
          `INSERT INTO attachments (id, owner_sub, file_name, content_type, size_bytes, sha256, storage_key)
           VALUES ($1, $2, 'parallel.pdf', 'application/pdf', 4096, repeat('0', 64), 'none')`,
          [randomUUID(), b.sub],
        );
        await blocker.query('COMMIT');
        const late = await pending;
        expect(late.status).toBe(409);
        expect((late.body as ErrorBody).message).toContain(
          'you hold 36 KiB (36,864 bytes) in uploads not attached to a dossier, with this file (8 KiB (8,192 bytes)) ' +
            'that would be 44 KiB (45,056 bytes), the most allowed is 40 KiB (40,960 bytes)',
        );
      } finally {
        await blocker.end();
      }
      // The stand-in row has no file; take it out before comparing storage with the rows.
      await query(`DELETE FROM attachments WHERE owner_sub = $1 AND storage_key = 'none'`, [b.sub]);
      expect(await rowsOf(b.sub)).toEqual(rowsBefore);
      await storageMatchesRows();
    });

    it('never lets parallel uploads of one user pass the file or the byte limit', async () => {
      const c = await newCitizen();
      const byFiles = await Promise.all(Array.from({ length: 12 }, () => upload(c.token, 2 * KIB)));
      expect(byFiles.filter((r) => r.status === 201)).toHaveLength(QUOTA_FILES);
      expect(byFiles.filter((r) => r.status === 409)).toHaveLength(12 - QUOTA_FILES);
      expect(await rowsOf(c.sub)).toHaveLength(QUOTA_FILES);

      const d = await newCitizen();
      const byBytes = await Promise.all(Array.from({ length: 8 }, () => upload(d.token, 12 * KIB)));
      // 3 × 12 KiB fit in 40 KiB, a fourth does not.
      expect(byBytes.filter((r) => r.status === 201)).toHaveLength(3);
      expect(byBytes.filter((r) => r.status === 409)).toHaveLength(5);
      const [held] = await query<{ bytes: string }>(
        'SELECT sum(size_bytes)::text AS bytes FROM attachments WHERE owner_sub = $1',
        [d.sub],
      );
      expect(Number(held?.bytes)).toBe(36 * KIB);
      await storageMatchesRows();
    });

    it('frees quota when a dossier claims uploads or the owner deletes one; a claimed one stays', async () => {
      const e = await newCitizen();
      const ids: string[] = [];
      for (let i = 0; i < QUOTA_FILES; i++) ids.push(await uploadOk(e.token));
      expect((await upload(e.token)).status).toBe(409);

      const submitted = await submit(e, ids.slice(0, 3));
      expect(submitted.status).toBe(202);
      // Three are part of the dossier now and no longer count: three more fit, and not a fourth.
      for (let i = 0; i < 3; i++) await uploadOk(e.token);
      expect((await upload(e.token)).status).toBe(409);

      const bearer = { Authorization: `Bearer ${e.token}` };
      // Someone else's upload, and an attached one, stay where they are.
      const stranger = await newCitizen();
      await http()
        .delete(`/attachments/${ids[3] ?? ''}`)
        .set({ Authorization: `Bearer ${stranger.token}` })
        .expect(404);
      const attached = await http()
        .delete(`/attachments/${ids[0] ?? ''}`)
        .set(bearer);
      expect(attached.status).toBe(409);
      expect((attached.body as ErrorBody).message).toMatch(/attached to a dossier/);
      expect((await query('SELECT 1 FROM attachments WHERE id = $1', [ids[0]])).length).toBe(1);

      await http()
        .delete(`/attachments/${ids[3] ?? ''}`)
        .set(bearer)
        .expect(204);
      expect(await query('SELECT 1 FROM attachments WHERE id = $1', [ids[3]])).toEqual([]);
      expect(await files()).not.toContain(ids[3]);
      expect(await query('SELECT * FROM attachment_file_deletions')).toEqual([]);
      await http()
        .delete(`/attachments/${ids[3] ?? ''}`)
        .set(bearer)
        .expect(404);
      await uploadOk(e.token);
      expect((await upload(e.token)).status).toBe(409);
      await storageMatchesRows();
    });
  });

  describe('purge', () => {
    it('deletes unattached uploads past the retention period, rows and files, and never an attached one', async () => {
      const f = await newCitizen();
      const old = [await uploadOk(f.token, 3000), await uploadOk(f.token, 5000), await uploadOk(f.token, 7000)];
      const claimedId = await uploadOk(f.token);
      expect((await submit(f, [claimedId])).status).toBe(202);
      const fresh = await uploadOk(f.token);
      await backdate([...old, claimedId]);
      const countBefore = await metric('intake_attachments_purged_total');
      const bytesBefore = await metric('intake_attachments_purged_bytes_total');
      const logsBefore = logLines.length;

      // Batches of 2: the run goes on until a batch comes back short.
      const run = await purge.runOnce();
      expect(run).toEqual({ files: 3, bytes: 15_000, removed: 3 });

      const left = (await rowsOf(f.sub)).map((r) => r.id).sort();
      expect(left).toEqual([claimedId, fresh].sort());
      const onDisk = await files();
      for (const id of old) expect(onDisk).not.toContain(id);
      expect(onDisk).toEqual(expect.arrayContaining([claimedId, fresh]));
      expect(await query('SELECT * FROM attachment_file_deletions')).toEqual([]);
      await storageMatchesRows();
      expect(await metric('intake_attachments_purged_total')).toBe(countBefore + 3);
      expect(await metric('intake_attachments_purged_bytes_total')).toBe(bytesBefore + 15_000);
      const runLines = logLines.slice(logsBefore).filter((l) => l['purge'] !== undefined);
      expect(runLines).toEqual([
        expect.objectContaining({
          level: 30,
          purge: { files: 3, bytes: 15_000, removed: 3, retentionSec: 86_400 },
          msg: 'purged 3 unattached upload(s) (15000 bytes) older than the retention period',
        }),
      ]);

      // A purged upload is a missing one, for its owner too; the claimed one is still served.
      await http()
        .get(`/attachments/${old[0] ?? ''}`)
        .set('Authorization', `Bearer ${f.token}`)
        .expect(404);
      await http().get(`/attachments/${claimedId}`).set('Authorization', `Bearer ${f.token}`).expect(200);

      // Nothing more is due: no change, and no log line.
      expect(await purge.runOnce()).toEqual({ files: 0, bytes: 0, removed: 0 });
      expect(logLines.slice(logsBefore).filter((l) => l['purge'] !== undefined)).toHaveLength(1);
    });

    it('removes the files a run committed but could not remove (a process that stopped in between)', async () => {
      const g = await newCitizen();
      const id = await uploadOk(g.token);
      // What a stopped run leaves: the row gone, the key queued, the file still there.
      await query(
        `WITH gone AS (DELETE FROM attachments WHERE id = $1 RETURNING storage_key, size_bytes)
         INSERT INTO attachment_file_deletions (storage_key, size_bytes) SELECT storage_key, size_bytes FROM gone`,
        [id],
      );
      expect(await files()).toContain(id);
      expect(await purge.runOnce()).toEqual({ files: 0, bytes: 0, removed: 1 });
      expect(await files()).not.toContain(id);
      expect(await query('SELECT * FROM attachment_file_deletions')).toEqual([]);
    });

    it('skips an upload a claim holds, which stays attached with its file', async () => {
      const h = await newCitizen();
      const id = await uploadOk(h.token);
      await backdate([id]);
      const claim = new pg.Client({ connectionString: env.databases['intake'] });
      await claim.connect();
      const dossierId = randomUUID();
      try {
        // A claim under way: the row is updated (and locked) by a transaction that has not committed yet.
        await claim.query('BEGIN');
        const claimed = await claim.query(
          'UPDATE attachments SET dossier_id = $1 WHERE id = $2 AND dossier_id IS NULL RETURNING id',
          [dossierId, id],
        );
        expect(claimed.rowCount).toBe(1);
        const run = await purge.runOnce();
        expect(run.files).toBe(0);
        await claim.query('COMMIT');
      } finally {
        await claim.end();
      }
      expect(await query('SELECT dossier_id FROM attachments WHERE id = $1', [id])).toEqual([
        { dossier_id: dossierId },
      ]);
      expect(await files()).toContain(id);
      expect((await purge.runOnce()).files).toBe(0);
      expect(await files()).toContain(id);
    });

    it('races submissions: every upload ends claimed with its file, or purged with its file', async () => {
      const outcomes = { submitted: 0, refused: 0 };
      const rounds = 12;
      for (let round = 0; round < rounds; round++) {
        const k = await newCitizen();
        const ids = [await uploadOk(k.token), await uploadOk(k.token), await uploadOk(k.token)];
        await backdate(ids);
        // The purge starts 0–22 ms after the submission, so that both orders occur; neither is waited for.
        const [res] = await Promise.all([
          submit(k, ids),
          new Promise((r) => setTimeout(r, (round % 12) * 2)).then(() => purge.runOnce()),
        ]);
        // Whichever came first decides for the whole dossier: all three claimed, or the submission refused.
        expect([202, 400]).toContain(res.status);
        const rows = await rowsOf(k.sub);
        if (res.status === 202) {
          outcomes.submitted += 1;
          const dossierId = (res.body as { id: string }).id;
          expect(rows.map((r) => r.dossier_id)).toEqual([dossierId, dossierId, dossierId]);
        } else {
          outcomes.refused += 1;
          expect(rows.every((r) => r.dossier_id === null)).toBe(true);
        }
        // What the submission left unclaimed is purged by the next run; what it claimed never is.
        await purge.runOnce();
        const after = await rowsOf(k.sub);
        expect(after).toEqual(rows.filter((r) => r.dossier_id !== null));
        const onDisk = await files();
        for (const id of ids) expect(onDisk.includes(id)).toBe(after.some((r) => r.id === id));
      }
      await storageMatchesRows();
      // Both orders are legal; the split is recorded to show which ones the run exercised.
      expect(outcomes.submitted + outcomes.refused).toBe(rounds);
      console.info(`submissions racing the purge: ${JSON.stringify(outcomes)}`);
    });
  });
});

/**
 * PostgreSQL's raw limits on this machine, measured twice with the same table and the same statements: with
 * PostgreSQL's own `pgbench` (custom scripts, extended query protocol as node-pg uses it) and with node-pg
 * (one connection per client, each awaiting its own INSERT), so a gap between the two is the client's, not the
 * server's. Single-row INSERT commits at several client counts, and multi-row INSERTs (rows/s). Every figure is
 * checked against the rows the table really holds afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from '@hoso/persistence';
import { forSeconds, SCRATCH } from './raw-limits';

export interface PgRun {
  tool: 'pgbench' | 'node-pg';
  kind: 'single-row' | 'batched';
  clients: number;
  /** Rows per statement (1 for single-row). */
  batchRows: number;
  seconds: number;
  /** Committed transactions per second (one statement each). */
  commitsPerSec: number;
  rowsPerSec: number;
  /** Rows the table gained during the run (the check of the tool's own count). */
  rowsInTable: number;
  /** The tool's own count of rows, when it differs from the table by more than 1 %: a miscount. */
  note?: string;
}

export interface PgLimits {
  pgbench: string | null;
  synchronousCommit: string;
  runs: PgRun[];
}

const PAYLOAD = JSON.stringify({ note: 'x'.repeat(200) });

/** pgbench's binary: on PATH (Debian's postgresql-client wrapper) or the server's own bin directory. */
export function findPgbench(): string | null {
  const which = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const v of [17, 16, 15, 14]) {
    const p = `/usr/lib/postgresql/${v}/bin/pgbench`;
    if (existsSync(p)) return p;
  }
  return null;
}

/** `tps = 6712.3 (without initial connection time)` → 6712.3; null when pgbench printed none. */
export function parsePgbenchTps(output: string): number | null {
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
  return m ? Number(m[1]) : null;
}

async function rowsOf(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM scratch');
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

function runPgbench(bin: string, url: string, script: string, clients: number, seconds: number): Promise<string> {
  const u = new URL(url);
  const args = [
    '-n', // no vacuum of pgbench's own tables (there are none)
    '-M',
    'extended', // the protocol node-pg speaks: parse/bind/execute of an unnamed statement
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-T',
    String(seconds),
    '-f',
    script,
    '-h',
    u.hostname,
    '-p',
    u.port || '5432',
    '-U',
    decodeURIComponent(u.username || 'postgres'),
    u.pathname.slice(1),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { ...process.env, ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}) },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`pgbench exited ${String(code)}: ${out.slice(-500)}`));
    });
  });
}

function check(run: Omit<PgRun, 'note'>, counted: number): PgRun {
  const drift = Math.abs(counted - run.rowsInTable) / Math.max(1, run.rowsInTable);
  return drift > 0.01 ? { ...run, note: `the tool counted ${counted} rows, the table gained ${run.rowsInTable}` } : run;
}

export async function measurePgLimits(
  adminUrl: string,
  opts: { seconds: number; clients: number[]; batchClients: number; batchRows: number },
  say: (line: string) => void = () => undefined,
): Promise<PgLimits> {
  const bin = findPgbench();
  const db = await createTestDatabase(adminUrl, 'hoso_bench_pglimits');
  const dir = mkdtempSync(join(tmpdir(), 'hoso-pgbench-'));
  const runs: PgRun[] = [];
  let synchronousCommit = '?';
  try {
    const setup = new Client({ connectionString: db.url });
    await setup.connect();
    await setup.query(SCRATCH);
    synchronousCommit =
      (await setup.query<{ s: string }>("SELECT current_setting('synchronous_commit') AS s")).rows[0]?.s ?? '?';
    await setup.end();
    const single = join(dir, 'single.sql');
    writeFileSync(
      single,
      `INSERT INTO scratch (dossier_id, payload) VALUES (gen_random_uuid(), '${PAYLOAD}'::jsonb);\n`,
    );
    // The same statement node-pg sends below: the rows come from the client as two arrays (as literals here, since
    // a pgbench script has no array variables), not generated on the server.
    const batched = join(dir, 'batched.sql');
    const ids = Array.from({ length: opts.batchRows }, () => randomUUID()).join(',');
    const jsonEl = `"${PAYLOAD.replace(/"/g, '\\"')}"`;
    const payloads = Array.from({ length: opts.batchRows }, () => jsonEl).join(',');
    writeFileSync(
      batched,
      `INSERT INTO scratch (dossier_id, payload) SELECT * FROM unnest('{${ids}}'::uuid[], '{${payloads}}'::jsonb[]);\n`,
    );

    const plan: { kind: PgRun['kind']; clients: number; rows: number }[] = [
      ...opts.clients.map((c) => ({ kind: 'single-row' as const, clients: c, rows: 1 })),
      { kind: 'batched', clients: opts.batchClients, rows: opts.batchRows },
    ];
    for (const p of plan) {
      if (bin) {
        const before = await rowsOf(db.url);
        const out = await runPgbench(bin, db.url, p.kind === 'batched' ? batched : single, p.clients, opts.seconds);
        const gained = (await rowsOf(db.url)) - before;
        const tps = parsePgbenchTps(out) ?? 0;
        runs.push(
          check(
            {
              tool: 'pgbench',
              kind: p.kind,
              clients: p.clients,
              batchRows: p.rows,
              seconds: opts.seconds,
              commitsPerSec: tps,
              rowsPerSec: tps * p.rows,
              rowsInTable: gained,
            },
            Math.round(tps * p.rows * opts.seconds),
          ),
        );
        say(`  pgbench ${p.kind} ×${p.clients}: ${tps.toFixed(0)} tx/s (${(tps * p.rows).toFixed(0)} rows/s)`);
      }
      const before = await rowsOf(db.url);
      const ids = () => Array.from({ length: p.rows }, () => randomUUID());
      const payloads = Array.from({ length: p.rows }, () => PAYLOAD);
      const r = await forSeconds(db.url, p.clients, opts.seconds, async (c) => {
        if (p.kind === 'single-row') {
          await c.query('INSERT INTO scratch (dossier_id, payload) VALUES ($1, $2)', [randomUUID(), PAYLOAD]);
          return 1;
        }
        await c.query('INSERT INTO scratch (dossier_id, payload) SELECT * FROM unnest($1::uuid[], $2::jsonb[])', [
          ids(),
          payloads,
        ]);
        return p.rows;
      });
      const gained = (await rowsOf(db.url)) - before;
      runs.push(
        check(
          {
            tool: 'node-pg',
            kind: p.kind,
            clients: p.clients,
            batchRows: p.rows,
            seconds: r.seconds,
            commitsPerSec: r.rows / p.rows / r.seconds,
            rowsPerSec: r.rows / r.seconds,
            rowsInTable: gained,
          },
          r.rows,
        ),
      );
      say(
        `  node-pg ${p.kind} ×${p.clients}: ${(r.rows / p.rows / r.seconds).toFixed(0)} tx/s (${(r.rows / r.seconds).toFixed(0)} rows/s)`,
      );
    }
    return { pgbench: bin, synchronousCommit, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

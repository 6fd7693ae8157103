import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * A PostgreSQL server of a test's own (its own data folder, port and process group), for faults that would break
 * every other test on the shared server: SIGKILL of the whole server, crash recovery, restart. Built from the
 * PostgreSQL binaries installed beside the shared server (`pg_config --bindir`).
 */
export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dataDir: string;
  /** SIGKILL to the postmaster and every backend at once (a crash: WAL not yet written is lost). */
  kill(): Promise<void>;
  /** Starts the server again on the same data folder (after kill: crash recovery first). */
  start(): Promise<void>;
  /** Fast shutdown, then the data folder is removed. */
  close(): Promise<void>;
}

function binDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'postgres'))) return dir;
  } catch {
    // pg_config may be missing; look where Debian installs the server.
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'postgres'))) return join(root, v, 'bin');
  throw new Error('PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/*/bin)');
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`own PostgreSQL not ready in ${timeoutMs} ms: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** `settings`: server parameters (`-c name=value`), e.g. `{ wal_writer_delay: '10s' }`. */
export async function startOwnPostgres(settings: Record<string, string> = {}): Promise<OwnPostgres> {
  const bin = binDir();
  const user = runAs();
  const dataDir = mkdtempSync(join(tmpdir(), 'hoso-own-pg-'));
  if (user) chownSync(dataDir, user.uid, user.gid);
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', join(dataDir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8'], {
    ...ids,
    stdio: 'ignore',
  });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | null = null;

  const start = async () => {
    const log = openSync(join(dataDir, 'server.log'), 'a');
    if (user) chownSync(join(dataDir, 'server.log'), user.uid, user.gid);
    const args = ['-D', join(dataDir, 'data'), '-p', String(port), '-k', dataDir, '-c', 'listen_addresses=127.0.0.1'];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    // Its own process group, so a kill reaches the postmaster and every backend in the same instant.
    child = spawn(join(bin, 'postgres'), args, { ...ids, detached: true, stdio: ['ignore', log, log] });
    await waitReady(url, 30_000);
  };

  await start();
  return {
    url,
    port,
    dataDir,
    start,
    kill: async () => {
      const c = child;
      if (!c?.pid) return;
      process.kill(-c.pid, 'SIGKILL');
      await exited(c);
      // Backends die with the group; wait until the port is free before a restart binds it again.
      for (let i = 0; i < 100; i++) {
        const left = Number(
          execFileSync('sh', ['-c', `pgrep -g ${String(c.pid)} | wc -l`], { encoding: 'utf8' }).trim() || '0',
        );
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: async () => {
      const c = child;
      if (c?.pid && c.exitCode === null && c.signalCode === null) {
        process.kill(c.pid, 'SIGINT');
        await exited(c);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A Redis server of the fault checks' own (`redis-server` on a free port, its own process group and directory),
 * for the platform under test: flushing or restarting the shared Redis would drop every other test's queues. It
 * keeps nothing on disk (no RDB snapshot, no AOF), so a restart really starts empty, as a server without
 * persistence does after a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '@hoso/platform';

export interface OwnRedis {
  url: string;
  port: number;
  /** FLUSHALL: every key of every database gone, the server keeps running. */
  flush(): Promise<void>;
  /** SIGKILL to the server (nothing is written anywhere). */
  kill(): Promise<void>;
  /**
   * SIGSTOP to the server: connections stay open and nothing is answered, as a Redis stalled by a fork or a slow
   * disk; `resume` (SIGCONT) lets it run on with its keys.
   */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port, empty; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it and removes its directory. */
  destroy(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

async function command<T>(url: string, work: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A refused connection is reported by connect(); the client must not also throw it from an 'error' event.
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await work(r);
  } finally {
    r.disconnect();
  }
}

export async function startOwnRedis(dir: string): Promise<OwnRedis> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const start = async () => {
    const log = openSync(join(dir, 'redis.log'), 'a');
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        // Nothing survives a restart: no snapshot, no append-only file.
        '--save',
        '',
        '--appendonly',
        'no',
        // What BullMQ requires of a server it keeps jobs in.
        '--maxmemory-policy',
        'noeviction',
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`own redis-server exited at start (see ${join(dir, 'redis.log')})`);
      try {
        await command(url, (r) => r.ping());
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`own redis-server not answering on ${url}: ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c?.pid) return;
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    await exited(c);
    child = null;
  };
  // Started detached: should this process end without destroy() (a forced exit after a failure), the server
  // would outlive it.
  const onExit = () => {
    if (child?.pid) {
      try {
        // A stopped process dies of SIGKILL too; SIGCONT first only so that nothing is left stopped if it did not.
        process.kill(-child.pid, 'SIGCONT');
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  };
  process.once('exit', onExit);
  await start();
  return {
    url,
    port,
    flush: async () => {
      await command(url, (r) => r.flushall());
    },
    kill,
    pause: () => {
      if (child?.pid) process.kill(-child.pid, 'SIGSTOP');
    },
    resume: () => {
      if (child?.pid) process.kill(-child.pid, 'SIGCONT');
    },
    start,
    destroy: async () => {
      process.removeListener('exit', onExit);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Kafka, PostgreSQL and Redis through deploy/local's own command (`infra up`), so there is one way to
 * bring them up. What `up` started during this call (and only that) is what `stop()` stops later:
 * a broker that was already running stays running, as `infra down` would leave it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from './process';

interface InfraState {
  kafka?: { pid: number };
  redis?: { pid: number };
}

export interface InfraHandle {
  /** Components this call started (and will stop), with their pids. */
  started: { component: 'kafka' | 'redis'; pid: number }[];
  /** Stops what this call started; resolves with how many processes it stopped. */
  stop(): Promise<number>;
}

function stateFile(root: string): string {
  return join(process.env['HOSO_DATA_DIR'] ?? join(root, '.data'), 'infra-state.json');
}

function readState(root: string): InfraState {
  try {
    return JSON.parse(readFileSync(stateFile(root), 'utf8')) as InfraState;
  } catch {
    return {};
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; the pid and its process group (Kafka runs in its own). */
export async function stopPid(pid: number, graceMs = 30_000): Promise<void> {
  const send = (sig: NodeJS.Signals) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, sig);
      } catch {
        // not a group leader, or already gone
      }
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await sleep(200);
  if (pidAlive(pid)) send('SIGKILL');
  while (pidAlive(pid)) await sleep(100);
}

/** `npm run infra -- up` (idempotent), each output line handed to `onLine`. */
export async function ensureInfra(root: string, onLine: (line: string) => void): Promise<InfraHandle> {
  const before = readState(root);
  const aliveBefore = {
    kafka: before.kafka ? pidAlive(before.kafka.pid) : false,
    redis: before.redis ? pidAlive(before.redis.pid) : false,
  };
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), 'deploy/local/infra.ts', 'up'],
      {
        cwd: root,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: a Ctrl-C in the terminal must not cut `up` off half-way (a broker started but not
        // yet recorded); the caller sees the abort once `up` is over and stops what it started.
        detached: true,
      },
    );
    let buf = '';
    const take = (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (buf) onLine(buf);
      if (code === 0) resolve();
      else reject(new Error(`infra up failed (${signal ?? `exit ${code}`})`));
    });
  });
  const after = readState(root);
  const started: InfraHandle['started'] = [];
  for (const component of ['kafka', 'redis'] as const) {
    const now = after[component]?.pid;
    const ranBefore = aliveBefore[component] && before[component]?.pid === now;
    if (now && pidAlive(now) && !ranBefore) started.push({ component, pid: now });
  }
  return {
    started,
    stop: async () => {
      await Promise.all(started.map((s) => stopPid(s.pid)));
      return started.length;
    },
  };
}

/**
 * A Kafka broker of the fault checks' own, started through deploy/local's `infra up` on its own ports and data
 * directory: killing the shared broker would break every other test and service using it, so the broker the
 * checks kill is one nobody else knows about. `up` is the same command as `npm run infra -- up`; its environment
 * (KAFKA_BROKERS, HOSO_DATA_DIR, HOSO_KAFKA_CONTROLLER_PORT) is what makes it a second broker.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, pidAlive, REPO_ROOT } from '@hoso/platform';

export interface OwnBroker {
  brokers: string[];
  /** The broker's process id while it runs (from deploy/local's state file). */
  pid(): number | null;
  /** SIGKILL to the broker's process group, as a crash: no controlled shutdown, no flush. */
  kill(): Promise<void>;
  /**
   * SIGSTOP to the broker's process group: it keeps its connections open and answers nothing, as a broker frozen
   * by a long GC pause or a stalled disk. `resume` (SIGCONT) lets it run on.
   */
  pause(): void;
  resume(): void;
  /** Starts it again on the same ports and storage; resolves once it answers, with the time that took. */
  start(): Promise<number>;
  /** Kills it and removes its storage. */
  destroy(): Promise<void>;
}

function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function infraUp(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(REPO_ROOT, 'deploy/local/infra.ts'), 'up'],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`infra up (own broker) failed (${signal ?? `exit ${code}`}):\n${out.trim()}`));
    });
  });
}

export async function startOwnBroker(dataDir: string): Promise<OwnBroker> {
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const brokers = [`127.0.0.1:${port}`];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: brokers.join(','),
    HOSO_DATA_DIR: dataDir,
    HOSO_KAFKA_CONTROLLER_PORT: String(controllerPort),
  };
  const pid = (): number | null => {
    try {
      const state = JSON.parse(readFileSync(join(dataDir, 'infra-state.json'), 'utf8')) as { kafka?: { pid: number } };
      return state.kafka?.pid ?? null;
    } catch {
      return null;
    }
  };
  const kill = async () => {
    const p = pid();
    if (!p) return;
    for (const target of [-p, p]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or gone already
      }
    }
    // Nobody here is its parent (`infra up` started it detached and exited): once killed it may linger as a zombie
    // until init reaps it, which is gone as far as the broker goes.
    while (pidAlive(p) && !zombie(p)) await new Promise((r) => setTimeout(r, 50));
  };
  const signal = (sig: NodeJS.Signals) => {
    const p = pid();
    if (!p) throw new Error('the own broker is not running');
    try {
      process.kill(-p, sig);
    } catch {
      process.kill(p, sig);
    }
  };
  const start = async () => {
    const started = Date.now();
    await infraUp(env);
    return Date.now() - started;
  };
  // `infra up` starts the broker detached: should this process end without destroy() (a forced exit after a
  // failure), the broker would outlive it.
  const onExit = () => {
    const p = pid();
    if (!p) return;
    try {
      process.kill(-p, 'SIGCONT');
      process.kill(-p, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.once('exit', onExit);
  await start();
  return {
    brokers,
    pid,
    kill,
    pause: () => {
      signal('SIGSTOP');
    },
    resume: () => {
      signal('SIGCONT');
    },
    start,
    destroy: async () => {
      process.removeListener('exit', onExit);
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

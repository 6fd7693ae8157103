/**
 * One service process on a given port with a given environment, as `nx serve` runs it (ts-node), ready once
 * `/health/ready` answers: what tests that wire services themselves (the end-to-end test, the simulator's) use.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { serviceCommand, type Runtime } from './build';
import { REPO_ROOT } from './platform';
import { spawnManaged, waitReady } from './process';
import type { ServiceName } from './services';

export interface ServiceProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** SIGTERM (SIGKILL after 15 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `apps/<name>/src/main.ts` with `env` and PORT=`port`; resolves once it is ready. Output goes to
 * `<logDir>/<name>.log` (default .data/e2e-logs). On a failed start the process is stopped and the error
 * carries its last lines.
 */
export async function startService(
  name: string,
  port: number,
  env: Record<string, string>,
  timeoutMs = 90_000,
  opts: { runtime?: Runtime; logDir?: string } = {},
): Promise<ServiceProcess> {
  const cmd = serviceCommand(REPO_ROOT, name as ServiceName, opts.runtime ?? 'ts-node');
  const proc = spawnManaged({
    name,
    command: cmd.command,
    args: cmd.args,
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port), ...cmd.env },
    output: { dir: opts.logDir ?? join(REPO_ROOT, '.data/e2e-logs') },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(proc, `${url}/health/ready`, timeoutMs);
  } catch (e) {
    await proc.stop(1000);
    throw e;
  }
  return { name, url, child: proc.child, stop: async () => (await proc.stop(15_000)).code };
}

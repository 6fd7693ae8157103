import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts a workspace script (`apps/identity/src/rekey.ts`) as `nx run` does, with `args` after it, in its own
 * process with only PATH and `env` for environment; its output is piped. For a test that must stop the process
 * itself (a SIGKILL mid-run); `runScript` waits for it instead.
 */
export function startScript(
  script: string,
  env: Record<string, string | undefined>,
  args: readonly string[] = [],
): ChildProcess {
  return spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', script, ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...env },
    },
  );
}

/**
 * Runs a workspace script to its end: the one-off commands' tests see exactly what an operator's run would print
 * and return.
 */
export function runScript(
  script: string,
  env: Record<string, string | undefined>,
  args: readonly string[] = [],
): Promise<ScriptRun> {
  return new Promise((done, fail) => {
    const child = startScript(script, env, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      done({ code, stdout, stderr });
    });
  });
}

/**
 * One supervised child process: its own process group (so a stop reaches everything it started and a
 * terminal's Ctrl-C reaches only the supervisor, which then stops children in order), output either
 * copied line by line with a coloured `[name]` prefix or handed straight to a log file, readiness by
 * polling an HTTP probe, and a stop that escalates from SIGTERM to SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface OutputOptions {
  /** Copy every line to `sink` with a coloured `[name]` prefix (pino JSON lines are shown readable). */
  inline?: boolean;
  /** Write the raw output to `<dir>/<name>.log` (truncated at start unless `append`). */
  dir?: string;
  /** Add to an existing log file instead of truncating it (a restarted service keeps the lines of its last life). */
  append?: boolean;
  /** Where inline lines go; default: standard output. */
  sink?: (text: string) => void;
  /** ANSI colours in the prefix; default: when standard output is a terminal and NO_COLOR is unset. */
  colour?: boolean;
  /** Width the `[name]` prefixes are padded to, so the columns line up. */
  prefixWidth?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: OutputOptions;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** What it was started with: a restart starts the same command again. */
  readonly options: SpawnOptions;
  /** The raw log file, when output goes to one. */
  readonly logFile: string | null;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Null while running. */
  exitInfo(): ExitInfo | null;
  /** The last lines of output (from memory, or from the log file when output bypasses this process). */
  lastLines(n?: number): string[];
  /** Sends a signal to the whole process group; false when it is gone. */
  signal(sig: NodeJS.Signals): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

const RING = 200;
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/**
 * Last resort when the supervisor itself dies of an uncaught error or calls process.exit without stopping:
 * children live in their own process groups, so nothing else would stop them.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) killGroup(p.pid, 'SIGKILL');
  });
}

function killGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

const PALETTE = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92, 94, 31];
const colourIndex = new Map<string, number>();

/** A stable colour per name, in order of first use (so neighbours differ). */
export function colourOf(name: string): number {
  let i = colourIndex.get(name);
  if (i === undefined) {
    i = colourIndex.size % PALETTE.length;
    colourIndex.set(name, i);
  }
  return PALETTE[i] as number;
}

export function useColour(): boolean {
  return process.stdout.isTTY && !process.env['NO_COLOR'];
}

export function prefixOf(name: string, width: number, colour: boolean): string {
  const label = `[${name}]`.padEnd(width + 2);
  return colour ? `\x1b[${colourOf(name)}m${label}\x1b[0m ` : `${label} `;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * A pino JSON line as a person reads it: `12:03:04.120 INFO  POST /dossiers 202 12ms`; anything else unchanged.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof o['level'] !== 'number') return line;
  const time = typeof o['time'] === 'number' ? new Date(o['time']).toTimeString().slice(0, 8) : '';
  const level = (LEVELS[o['level']] ?? String(o['level'])).padEnd(5);
  const req = o['req'] as { method?: string; url?: string } | undefined;
  const res = o['res'] as { statusCode?: number } | undefined;
  const err = o['err'] as { message?: string; type?: string } | undefined;
  const parts = [typeof o['msg'] === 'string' ? o['msg'] : ''];
  if (req?.method && req.url && res?.statusCode) {
    const rt = typeof o['responseTime'] === 'number' ? ` ${o['responseTime']}ms` : '';
    parts[0] = `${req.method} ${req.url} ${res.statusCode}${rt}`;
  }
  if (err?.message) parts.push(`— ${err.type ? `${err.type}: ` : ''}${err.message}`);
  return `${time} ${level} ${parts.filter(Boolean).join(' ')}`.trim();
}

/** Calls `onLine` for every complete line of `stream` (a trailing partial line is flushed at the end). */
function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
    buf = '';
  });
}

function tailOfFile(file: string, n: number): string[] {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/** Starts `command` in its own process group with the output handling of `opts.output`. */
export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  installExitHook();
  const { output } = opts;
  let logFile: string | null = null;
  let fd: number | null = null;
  if (output.dir) {
    mkdirSync(output.dir, { recursive: true });
    logFile = join(output.dir, `${opts.name}.log`);
  }
  // Without inline output the child writes its log file itself: nothing to copy through this process, which
  // matters when this process is also the load generator of a benchmark.
  const direct = !output.inline && logFile !== null;
  if (direct && logFile) fd = openSync(logFile, output.append ? 'a' : 'w');
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: direct && fd !== null ? ['ignore', fd, fd] : ['ignore', 'pipe', 'pipe'],
  });
  if (fd !== null) closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${opts.name}: ${opts.command}`);
  const pid = child.pid;

  const ring: string[] = [];
  if (!direct) {
    const file: WriteStream | null = logFile ? createWriteStream(logFile, { flags: output.append ? 'a' : 'w' }) : null;
    const colour = output.colour ?? useColour();
    const prefix = prefixOf(opts.name, output.prefixWidth ?? opts.name.length, colour);
    const sink = output.sink ?? ((text: string) => process.stdout.write(text));
    const onLine = (line: string) => {
      ring.push(line);
      if (ring.length > RING) ring.shift();
      file?.write(`${line}\n`);
      if (output.inline) sink(`${prefix}${formatLogLine(line)}\n`);
    };
    if (child.stdout) eachLine(child.stdout, onLine);
    if (child.stderr) eachLine(child.stderr, onLine);
    child.once('close', () => file?.end());
  }

  let info: ExitInfo | null = null;
  const handle: { current: ManagedProcess | null } = { current: null };
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      info = { code, signal };
      if (handle.current) live.delete(handle.current);
      resolve(info);
    });
    child.once('error', () => {
      info ??= { code: null, signal: null };
      if (handle.current) live.delete(handle.current);
      resolve(info);
    });
  });

  const proc: ManagedProcess = {
    name: opts.name,
    pid,
    child,
    options: opts,
    logFile,
    exited,
    exitInfo: () => info,
    lastLines: (n = 30) => (direct && logFile ? tailOfFile(logFile, n) : ring.slice(-n)),
    signal: (sig) => (info ? false : killGroup(pid, sig)),
    stop: async (graceMs = 15_000) => {
      if (!info) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Anything the process started in its group and left behind.
      killGroup(pid, 'SIGKILL');
      return info ?? (await exited);
    },
  };
  handle.current = proc;
  // The exit event comes later (asynchronously), so the process is always live here.
  live.add(proc);
  return proc;
}

/**
 * SIGKILL (or `sig`) to the whole process group, as a crash or the kernel's OOM killer would end it: no shutdown
 * hook runs. Resolves with how it exited; at once when it had already exited.
 */
export async function killManaged(proc: ManagedProcess, sig: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
  proc.signal(sig);
  const info = await proc.exited;
  // Whatever else ran in its group (a signal other than SIGKILL may leave children behind).
  killGroup(proc.pid, 'SIGKILL');
  return info;
}

export interface RestartOptions {
  /** Readiness wait per attempt. Default: 90 s. */
  timeoutMs?: number;
  /** Attempts before giving up. Default: 5. */
  attempts?: number;
  /** Wait before the second attempt, doubled after each failed one (up to `maxBackoffMs`). Default: 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called after each failed attempt (attempt number, the error). */
  onRetry?: (attempt: number, error: unknown) => void;
}

export interface Restarted {
  proc: ManagedProcess;
  /** From the first spawn to ready. */
  ms: number;
  attempts: number;
}

/**
 * Starts `prev`'s command again (after making sure `prev` is gone) and waits until `readyUrl` answers 200. A start
 * that fails (the process exits, or is not ready in time) is retried with a growing pause, as a process manager
 * does with a service whose dependency (its database, the broker) is itself still coming back. The log file, if
 * any, is appended to.
 */
export async function restartManaged(
  prev: ManagedProcess,
  readyUrl: string,
  opts: RestartOptions = {},
): Promise<Restarted> {
  if (!prev.exitInfo()) await killManaged(prev);
  const attempts = opts.attempts ?? 5;
  let backoff = opts.backoffMs ?? 500;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const proc = spawnManaged({ ...prev.options, output: { ...prev.options.output, append: true } });
    try {
      await waitReady(proc, readyUrl, opts.timeoutMs ?? 90_000);
      return { proc, ms: Date.now() - started, attempts: attempt };
    } catch (e) {
      await killManaged(proc);
      if (attempt >= attempts) throw e;
      opts.onRetry?.(attempt, e);
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 10_000);
    }
  }
}

/** Stops every process at once; resolves when all have exited. */
export async function stopAll(processes: readonly ManagedProcess[], graceMs = 15_000): Promise<ExitInfo[]> {
  return Promise.all(processes.map((p) => p.stop(graceMs)));
}

/** True when a process with this pid exists (zombies included: a reaped pid is gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
    readonly lines: readonly string[],
  ) {
    super(`${service} ${reason}${lines.length ? `; its last lines:\n${lines.map((l) => `  ${l}`).join('\n')}` : ''}`);
    this.name = 'ServiceStartError';
  }
}

/**
 * Polls `url` until it answers 200; fails early when the process exits, and after `timeoutMs` otherwise,
 * with the process's last lines in the error.
 */
export async function waitReady(proc: ManagedProcess, url: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (;;) {
    const exit = proc.exitInfo();
    if (exit) {
      throw new ServiceStartError(
        proc.name,
        `exited during start-up (${exit.signal ?? `code ${exit.code ?? '?'}`})`,
        proc.lastLines(),
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      await res.body?.cancel();
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new ServiceStartError(proc.name, `not ready after ${Math.round(timeoutMs / 1000)} s`, proc.lastLines());
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; fine on one machine). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => {
        res(port);
      });
    });
  });
}

/** True when something already listens on 127.0.0.1:`port`. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => {
      res(true);
    });
    srv.listen(port, '127.0.0.1', () => {
      srv.close(() => {
        res(false);
      });
    });
  });
}

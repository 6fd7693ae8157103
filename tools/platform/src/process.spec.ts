import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatLogLine,
  freePort,
  killManaged,
  pidAlive,
  prefixOf,
  restartManaged,
  spawnManaged,
  stopAll,
  waitReady,
  ServiceStartError,
} from './process';

/** Pids whose process group is `pgid` (read from /proc/<pid>/stat). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const node = (script: string) => ({
  command: process.execPath,
  args: ['-e', script],
  cwd: process.cwd(),
  env: process.env,
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('formatLogLine', () => {
  it('shows a pino request line as method, path, status and time', () => {
    const line = JSON.stringify({
      level: 30,
      time: new Date(2026, 0, 2, 3, 4, 5).getTime(),
      req: { method: 'POST', url: '/dossiers' },
      res: { statusCode: 202 },
      responseTime: 12,
      msg: 'request completed',
    });
    expect(formatLogLine(line)).toBe('03:04:05 INFO  POST /dossiers 202 12ms');
  });

  it('adds the error of an error line and leaves other text alone', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'relay failed', err: { type: 'Error', message: 'boom' } });
    expect(formatLogLine(line)).toMatch(/ERROR relay failed — Error: boom$/);
    expect(formatLogLine('plain text {')).toBe('plain text {');
    expect(formatLogLine('{not json')).toBe('{not json');
    expect(formatLogLine('{"level":"x"}')).toBe('{"level":"x"}');
  });

  it('pads prefixes to one width, coloured only when asked', () => {
    expect(prefixOf('intake', 15, false)).toBe('[intake]          ');
    const coloured = prefixOf('intake', 6, true);
    expect(coloured.startsWith('\u001b[')).toBe(true);
    expect(coloured.endsWith('[intake]\u001b[0m ')).toBe(true);
  });
});

describe('spawnManaged', () => {
  it('copies output line by line with the prefix, and keeps the last lines', async () => {
    const seen: string[] = [];
    const p = spawnManaged({
      name: 'echo',
      ...node('console.log("one"); console.error("two"); process.stdout.write("three")'),
      output: { inline: true, colour: false, sink: (t) => seen.push(t) },
    });
    expect(await p.exited).toEqual({ code: 0, signal: null });
    await until(() => seen.length === 3);
    expect(seen.sort()).toEqual(['[echo] one\n', '[echo] three\n', '[echo] two\n']);
    expect(p.lastLines().sort()).toEqual(['one', 'three', 'two']);
  });

  it('writes straight to a log file when output is not shown, and reads the tail from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoso-proc-'));
    const p = spawnManaged({
      name: 'filer',
      ...node('for (let i = 0; i < 50; i++) console.log("line " + i)'),
      output: { dir },
    });
    await p.exited;
    expect(p.logFile).toBe(join(dir, 'filer.log'));
    expect(p.lastLines(2)).toEqual(['line 48', 'line 49']);
  });

  it('stops the whole process group, and kills what ignores SIGTERM after the grace period', async () => {
    // A parent that ignores SIGTERM and a grandchild that would outlive it: both must be gone after stop().
    const p = spawnManaged({
      name: 'stubborn',
      ...node(`
        process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
        const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        console.log('grandchild ' + c.pid);
        setInterval(() => {}, 1000);
      `),
      output: { inline: true, colour: false, sink: () => undefined },
    });
    await until(() => p.lastLines().some((l) => l.startsWith('grandchild')));
    const grandchild = Number(
      p
        .lastLines()
        .find((l) => l.startsWith('grandchild'))
        ?.split(' ')[1],
    );
    expect(groupMembers(p.pid).sort()).toEqual([p.pid, grandchild].sort());
    const started = Date.now();
    const exit = await p.stop(500);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    await until(() => !pidAlive(grandchild));
    expect(groupMembers(p.pid)).toEqual([]);
    expect(p.lastLines()).toContain('ignoring SIGTERM');
  });

  it('a graceful process exits on SIGTERM well before the grace period; stopAll waits for every one', async () => {
    const procs = [1, 2].map((i) =>
      spawnManaged({
        name: `calm${i}`,
        ...node(
          `process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);`,
        ),
        output: { inline: true, colour: false, sink: () => undefined },
      }),
    );
    await until(() => procs.every((p) => p.lastLines().includes('up')));
    const exits = await stopAll(procs, 10_000);
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    for (const p of procs) expect(pidAlive(p.pid)).toBe(false);
    // Stopping again is harmless.
    expect(await procs[0]!.stop()).toEqual({ code: 0, signal: null });
  });

  it('waitReady fails fast with the last lines when the process exits during start-up', async () => {
    const p = spawnManaged({
      name: 'crasher',
      ...node('console.error("cannot connect to the database"); process.exit(3)'),
      output: { inline: true, colour: false, sink: () => undefined },
    });
    const err = await waitReady(p, 'http://127.0.0.1:9/health/ready', 30_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect((err as ServiceStartError).message).toMatch(/crasher exited during start-up \(code 3\)/);
    expect((err as ServiceStartError).lines).toContain('cannot connect to the database');
  });

  it('killManaged ends the group with SIGKILL; restartManaged starts it again, retrying a failed start with backoff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoso-proc-'));
    const port = await freePort();
    // Each life counts itself in a file; the second life fails at start-up (a dependency still down), the others
    // answer /health/ready. SIGTERM is ignored: only SIGKILL ends it.
    const script = `
      const fs = require('node:fs');
      const f = ${JSON.stringify(join(dir, 'lives'))};
      const life = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1;
      fs.writeFileSync(f, String(life));
      console.log('life ' + life);
      process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
      if (life === 2) { console.error('dependency not ready'); process.exit(1); }
      require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1');
    `;
    const first = spawnManaged({ name: 'svc', ...node(script), output: { dir } });
    const url = `http://127.0.0.1:${port}/health/ready`;
    await waitReady(first, url, 10_000);

    const exit = await killManaged(first);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(pidAlive(first.pid)).toBe(false);

    const retries: number[] = [];
    const again = await restartManaged(first, url, {
      timeoutMs: 10_000,
      backoffMs: 50,
      onRetry: (n) => retries.push(n),
    });
    try {
      expect(again.attempts).toBe(2);
      expect(retries).toEqual([1]);
      expect(again.proc.pid).not.toBe(first.pid);
      expect((await fetch(url)).status).toBe(200);
      // One log file across the lives: appended, not truncated.
      const log = readFileSync(join(dir, 'svc.log'), 'utf8');
      expect(log).toMatch(/life 1[\s\S]*life 2[\s\S]*dependency not ready[\s\S]*life 3/);
    } finally {
      await again.proc.stop(500);
    }
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@hoso/testing';
import { killManaged, pidAlive, spawnManaged, stopAll, type ManagedProcess } from './process';
import { Supervisor } from './supervisor';

const node = (name: string, script: string, dir: string) =>
  spawnManaged({
    name,
    command: process.execPath,
    args: ['-e', script],
    cwd: process.cwd(),
    env: process.env,
    output: { dir },
  });

describe('Supervisor: restarts a service that exits on its own, gives up one that crash-loops', () => {
  const started: ManagedProcess[] = [];
  let supervisor: Supervisor | null = null;

  afterEach(async () => {
    supervisor?.close();
    await stopAll(started, 1000);
    started.length = 0;
  });

  it('restarts a process that exits unexpectedly, with its log appended to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoso-sup-'));
    const counter = join(dir, 'lives');
    // Each life appends a line; the first one exits with 1 after a moment, the next ones keep running.
    const script = `const fs=require('fs');fs.appendFileSync(${JSON.stringify(counter)},'x');console.log('life');
      if(fs.readFileSync(${JSON.stringify(counter)},'utf8').length===1)setTimeout(()=>process.exit(1),100);
      else setInterval(()=>{},1000);`;
    const lines: string[] = [];
    const first = node('svc', script, dir);
    started.push(first);
    supervisor = new Supervisor({
      backoffMs: 50,
      progress: (l) => lines.push(l),
      onRestarted: (_, p) => started.push(p),
    });
    supervisor.watch(first);

    const status = await eventually('restarted once', () =>
      Promise.resolve(supervisor?.status().find((s) => s.restarts === 1 && s.state === 'running')),
    );
    expect(status.pid).not.toBe(first.pid);
    expect(status.lastExit).toEqual({ code: 1, signal: null });
    await eventually('the new process alive', () => Promise.resolve(readFileSync(counter, 'utf8').length === 2));
    expect(pidAlive(status.pid)).toBe(true);
    expect(lines.some((l) => /svc exited \(code 1\); restarting in 0\.1 s/.test(l))).toBe(true);
    expect(readFileSync(join(dir, 'svc.log'), 'utf8').match(/life/g)).toHaveLength(2);
  });

  it('gives up a process that keeps crashing, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoso-sup-'));
    const lines: string[] = [];
    const first = node('loop', `console.log('cannot reach the database');process.exit(3);`, dir);
    started.push(first);
    supervisor = new Supervisor({
      backoffMs: 20,
      maxCrashes: 3,
      windowMs: 60_000,
      progress: (l) => lines.push(l),
      onRestarted: (_, p) => started.push(p),
    });
    supervisor.watch(first);

    const status = await eventually('given up', () =>
      Promise.resolve(supervisor?.status().find((s) => s.state === 'given-up')),
    );
    expect(status.restarts).toBe(2);
    expect(status.reason).toMatch(/crashed 3 times within 60 s \(last: code 3, "cannot reach the database"\)/);
    expect(lines.filter((l) => l.includes('restarting in'))).toHaveLength(2);
    expect(lines.some((l) => l.includes('✘ loop crashed 3 times'))).toBe(true);
    // No further restart once given up.
    await expect(
      eventually('another restart', () => Promise.resolve(supervisor?.status()[0]?.restarts !== 2), 500),
    ).rejects.toThrow(/timed out/);
  });

  it('does not restart a process stopped on purpose', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoso-sup-'));
    const first = node('kept-down', 'setInterval(()=>{},1000);', dir);
    started.push(first);
    supervisor = new Supervisor({ backoffMs: 10, onRestarted: (_, p) => started.push(p) });
    supervisor.watch(first);
    supervisor.markStopped('kept-down');
    const exit = await killManaged(first);
    expect(exit.signal).toBe('SIGKILL');
    // A restart would have happened after 10 ms; the state stays "stopped" well past that.
    await expect(
      eventually('a restart', () => Promise.resolve(supervisor?.status()[0]?.restarts !== 0), 500),
    ).rejects.toThrow(/timed out/);
    expect(supervisor.status()[0]).toMatchObject({ state: 'stopped', restarts: 0 });
  });
});

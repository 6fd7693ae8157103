/**
 * CPU and memory of processes from /proc (Linux): cumulative CPU time from /proc/<pid>/stat, resident
 * memory from /proc/<pid>/status, sampled on an interval, summarised per named group of processes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  /** utime + stime in clock ticks. */
  cpuTicks: number;
  rssKb: number;
  /** Private resident memory (anonymous pages); for PostgreSQL, whose shared buffers every backend maps. */
  rssAnonKb: number;
  rssShmemKb: number;
}

let ticksPerSecond: number | null = null;

export function clockTicks(): number {
  if (ticksPerSecond === null) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout.trim());
    ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticksPerSecond;
}

export function readProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpuTicks: utime + stime, rssKb: kb('VmRSS'), rssAnonKb: kb('RssAnon'), rssShmemKb: kb('RssShmem') };
  } catch {
    return null;
  }
}

/** Pids whose command line matches (reads every /proc/<pid>/cmdline once). */
export function findPids(match: (cmdline: string) => boolean): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmd && match(cmd)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Busy and total CPU ticks of the whole machine, all cores (from the first line of /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [, user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** The name under which `ProcSampler.window()` reports the whole machine (all processes, all cores). */
export const MACHINE = '(machine)';

export interface GroupStats {
  /** Mean CPU over the window, in % of one core (200 % = both cores of a 2-core machine). */
  cpuPct: number;
  /** Highest one-interval CPU. */
  cpuPctMax: number;
  /** Highest sampled resident memory of the group (PostgreSQL: private memory of all backends + shared once). */
  peakRssMb: number;
  processes: number;
}

interface GroupState {
  ticks: Map<number, number>;
  windowTicks: number;
  maxPct: number;
  peakKb: number;
  processes: number;
}

/**
 * Samples named groups of processes every `everyMs`. `groups()` is asked each time, so a group can follow
 * processes that come and go (PostgreSQL backends). `window()` returns the statistics since the last call.
 */
export class ProcSampler {
  private readonly state = new Map<string, GroupState>();
  private timer: NodeJS.Timeout | null = null;
  private windowStart = Date.now();
  private last = Date.now();
  private machineStart = machineTicks();
  private machineLast = machineTicks();
  private machineMaxPct = 0;

  constructor(
    private readonly groups: () => Record<string, readonly number[]>,
    private readonly everyMs = 1000,
    /** Groups whose memory is counted as private + the largest shared part (processes sharing one segment). */
    private readonly sharedMemoryGroups: readonly string[] = [],
  ) {}

  start(): this {
    this.sample();
    this.windowStart = Date.now();
    this.machineStart = machineTicks();
    this.machineMaxPct = 0;
    for (const s of this.state.values()) this.resetWindow(s);
    this.timer = setInterval(() => {
      this.sample();
    }, this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private resetWindow(s: GroupState): void {
    s.windowTicks = 0;
    s.maxPct = 0;
    s.peakKb = 0;
  }

  sample(): void {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    const hz = clockTicks();
    const m = machineTicks();
    if (m.total > this.machineLast.total) {
      this.machineMaxPct = Math.max(
        this.machineMaxPct,
        ((m.busy - this.machineLast.busy) / (m.total - this.machineLast.total)) * 100,
      );
    }
    this.machineLast = m;
    for (const [name, pids] of Object.entries(this.groups())) {
      let s = this.state.get(name);
      if (!s) {
        s = { ticks: new Map(), windowTicks: 0, maxPct: 0, peakKb: 0, processes: 0 };
        this.state.set(name, s);
      }
      let delta = 0;
      let rssKb = 0;
      let shared = 0;
      const seen = new Map<number, number>();
      for (const pid of pids) {
        const p = readProc(pid);
        if (!p) continue;
        const before = s.ticks.get(pid);
        if (before !== undefined) delta += Math.max(0, p.cpuTicks - before);
        seen.set(pid, p.cpuTicks);
        if (this.sharedMemoryGroups.includes(name)) {
          rssKb += p.rssAnonKb;
          shared = Math.max(shared, p.rssShmemKb);
        } else rssKb += p.rssKb;
      }
      s.ticks = seen;
      s.processes = seen.size;
      s.windowTicks += delta;
      if (dt > 0) s.maxPct = Math.max(s.maxPct, (delta / hz / dt) * 100);
      s.peakKb = Math.max(s.peakKb, rssKb + shared);
    }
  }

  /**
   * Statistics since the previous call (or since start), then a new window begins. MACHINE is the whole machine in
   * % of all its cores (100 % = every core busy).
   */
  window(): Record<string, GroupStats> {
    this.sample();
    const seconds = (Date.now() - this.windowStart) / 1000;
    const hz = clockTicks();
    const m = machineTicks();
    const out: Record<string, GroupStats> = {
      [MACHINE]: {
        cpuPct:
          m.total > this.machineStart.total
            ? ((m.busy - this.machineStart.busy) / (m.total - this.machineStart.total)) * 100
            : 0,
        cpuPctMax: this.machineMaxPct,
        peakRssMb: 0,
        processes: 0,
      },
    };
    this.machineStart = m;
    this.machineMaxPct = 0;
    for (const [name, s] of this.state) {
      out[name] = {
        cpuPct: seconds > 0 ? (s.windowTicks / hz / seconds) * 100 : 0,
        cpuPctMax: s.maxPct,
        peakRssMb: s.peakKb / 1024,
        processes: s.processes,
      };
      this.resetWindow(s);
    }
    this.windowStart = Date.now();
    return out;
  }
}

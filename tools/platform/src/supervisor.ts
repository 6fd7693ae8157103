/**
 * Restarts a service process that exits on its own, as a process manager does: after a pause that doubles with
 * each crash in a row (capped), and never again once it crash-loops (too many crashes within a window), saying
 * why. A service ends itself on purpose when it can no longer do its work (e.g. its consumer stopped for good), so
 * without this it would stay down until restarted by hand. A process stopped deliberately (`markStopped`, the
 * platform's kill and stop) is not restarted.
 */
import { spawnManaged, type ExitInfo, type ManagedProcess } from './process';

export interface SupervisorOptions {
  /** Pause before the first restart after a crash; doubled per crash in the window. Default: 1 s. */
  backoffMs?: number;
  /** Default: 30 s. */
  maxBackoffMs?: number;
  /** Crashes within `windowMs` after which the service is given up. Default: 5 within 60 s. */
  maxCrashes?: number;
  windowMs?: number;
  /** Starts the process again (default: the same command, its log file appended to). */
  respawn?: (prev: ManagedProcess) => ManagedProcess;
  /** A line per restart and per give-up. */
  progress?: (line: string) => void;
  /** After a restart spawned a new process (the platform keeps its slots up to date with it). */
  onRestarted?: (name: string, proc: ManagedProcess) => void;
}

export type SupervisedState = 'running' | 'restarting' | 'stopped' | 'given-up';

export interface SupervisedStatus {
  name: string;
  pid: number;
  state: SupervisedState;
  /** Restarts done by the supervisor (not the ones asked for by hand). */
  restarts: number;
  /** Why it was given up. */
  reason: string | null;
  lastExit: ExitInfo | null;
}

interface Slot {
  proc: ManagedProcess;
  state: SupervisedState;
  restarts: number;
  crashes: number[];
  reason: string | null;
  lastExit: ExitInfo | null;
  timer: NodeJS.Timeout | null;
}

function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code ?? '?'}`;
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private closed = false;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxCrashes: number;
  private readonly windowMs: number;

  constructor(private readonly opts: SupervisorOptions = {}) {
    this.backoffMs = opts.backoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.maxCrashes = opts.maxCrashes ?? 5;
    this.windowMs = opts.windowMs ?? 60_000;
  }

  /** Watches `proc` (a new process for `name` replaces the one watched before, with its history kept). */
  watch(proc: ManagedProcess): void {
    const had = this.slots.get(proc.name);
    if (had?.timer) clearTimeout(had.timer);
    const slot: Slot = {
      proc,
      state: 'running',
      restarts: had?.restarts ?? 0,
      crashes: had?.crashes ?? [],
      reason: null,
      lastExit: had?.lastExit ?? null,
      timer: null,
    };
    this.slots.set(proc.name, slot);
    void proc.exited.then((info) => {
      this.exited(slot, proc, info);
    });
  }

  /**
   * The process is about to be stopped on purpose (or was): its exit is not a crash. A restart by hand then
   * calls `watch` with the new process; a crash history is forgotten then (`reset`).
   */
  markStopped(name: string): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (slot.state !== 'given-up') slot.state = 'stopped';
  }

  /** Forgets crashes and a give-up (before a restart by hand). */
  reset(name: string): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    slot.crashes = [];
    slot.reason = null;
  }

  /** No more restarts (the platform is stopping). */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
    }
  }

  status(): SupervisedStatus[] {
    return [...this.slots.entries()].map(([name, s]) => ({
      name,
      pid: s.proc.pid,
      state: s.state,
      restarts: s.restarts,
      reason: s.reason,
      lastExit: s.lastExit,
    }));
  }

  private exited(slot: Slot, proc: ManagedProcess, info: ExitInfo): void {
    // A process replaced since, one stopped on purpose, or the platform going down: nothing to do.
    if (this.closed || this.slots.get(proc.name) !== slot || slot.proc !== proc || slot.state !== 'running') return;
    slot.lastExit = info;
    const now = Date.now();
    slot.crashes = [...slot.crashes.filter((t) => now - t < this.windowMs), now];
    if (slot.crashes.length >= this.maxCrashes) {
      slot.state = 'given-up';
      const last = proc.lastLines(1)[0];
      slot.reason =
        `crashed ${slot.crashes.length} times within ${Math.round(this.windowMs / 1000)} s ` +
        `(last: ${describeExit(info)}${last ? `, "${last.slice(0, 200)}"` : ''}); not restarted again`;
      this.opts.progress?.(`  ✘ ${proc.name} ${slot.reason}`);
      return;
    }
    const pause = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (slot.crashes.length - 1));
    slot.state = 'restarting';
    this.opts.progress?.(
      `  ↻ ${proc.name} exited (${describeExit(info)}); restarting in ${(pause / 1000).toFixed(1)} s ` +
        `(crash ${slot.crashes.length} of ${this.maxCrashes} allowed within ${Math.round(this.windowMs / 1000)} s)`,
    );
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (this.closed || slot.state !== 'restarting') return;
      const respawn =
        this.opts.respawn ??
        ((prev: ManagedProcess) => spawnManaged({ ...prev.options, output: { ...prev.options.output, append: true } }));
      let next: ManagedProcess;
      try {
        next = respawn(proc);
      } catch (e) {
        slot.state = 'given-up';
        slot.reason = `could not be started again: ${e instanceof Error ? e.message : String(e)}`;
        this.opts.progress?.(`  ✘ ${proc.name} ${slot.reason}`);
        return;
      }
      slot.restarts++;
      slot.proc = next;
      slot.state = 'running';
      this.opts.onRestarted?.(proc.name, next);
      void next.exited.then((i) => {
        this.exited(slot, next, i);
      });
    }, pause);
  }
}

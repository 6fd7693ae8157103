/** One reading of a topic: total end offset and each consumer group's total committed offset. */
export interface OffsetSample {
  at: number;
  /** Sum of the partitions' log start offsets: where a group with no commit yet starts from. */
  start: number;
  end: number;
  committed: Record<string, number>;
}

export interface Throughput {
  windowSeconds: number;
  inPerSec: number | null;
  outPerSec: Record<string, number>;
}

/**
 * Messages in and out per second over the window: Δ end offset / Δt and, per group, Δ committed / Δt, between
 * the oldest sample inside the window and the newest. Null/empty with fewer than two samples (nothing to compare).
 */
export function throughput(samples: readonly OffsetSample[], now: number, windowMs = 60_000): Throughput {
  const inWindow = samples.filter((s) => s.at >= now - windowMs);
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  if (!first || !last || last.at <= first.at) return { windowSeconds: 0, inPerSec: null, outPerSec: {} };
  const seconds = (last.at - first.at) / 1000;
  const outPerSec: Record<string, number> = {};
  for (const [group, committed] of Object.entries(last.committed)) {
    // A group that first committed inside the window started from the log start.
    const before = first.committed[group] ?? first.start;
    outPerSec[group] = round(Math.max(0, committed - before) / seconds);
  }
  return { windowSeconds: round(seconds), inPerSec: round(Math.max(0, last.end - first.end) / seconds), outPerSec };
}

/** Drops samples older than the window, keeping one just before it (the window's baseline). */
export function prune<T extends { at: number }>(samples: T[], now: number, windowMs = 60_000): T[] {
  const firstInside = samples.findIndex((s) => s.at >= now - windowMs);
  if (firstInside <= 0) return samples;
  return samples.slice(firstInside - 1);
}

const round = (n: number) => Math.round(n * 1000) / 1000;

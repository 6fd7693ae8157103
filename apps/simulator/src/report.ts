/** What the command prints: a progress line every second and the closing summary. */
import type { SimulatorStats } from '@hoso/simulator';

/** The p-th percentile (0–100) by nearest rank; null for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}

const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);

export function progressLine(s: SimulatorStats): string {
  const c = s.counts;
  return (
    `t=${s.elapsedSec.toFixed(0)}s submitted ${c.submitted} | open: identity ${c.inIdentity} payment ` +
    `${c.awaitingPayment} queue ${c.inQueue} processing ${c.inProgress} supplement ${c.awaitingSupplement} | ended: ` +
    `completed ${c.completed} rejected ${c.rejected} identity-rejected ${c.identityRejected} expired ` +
    `${c.abandoned} withdrawn ${c.withdrawn} | errors ${c.errors} | submit p50 ${ms(percentile(s.submitLatencyMs, 50))}`
  );
}

export function summary(s: SimulatorStats): string {
  const c = s.counts;
  const lat = s.submitLatencyMs;
  const lines = [
    `Dossiers: ${c.submitted} submitted in ${s.elapsedSec.toFixed(1)} s`,
    `  ended: completed ${c.completed}, rejected ${c.rejected}, identity rejected ${c.identityRejected}, ` +
      `expired unpaid ${c.abandoned}, withdrawn ${c.withdrawn}`,
    `  open: identity ${c.inIdentity}, payment ${c.awaitingPayment}, queue ${c.inQueue}, processing ` +
      `${c.inProgress}, supplement ${c.awaitingSupplement}; errors ${c.errors}`,
    `POST /dossiers: ${lat.length} samples, p50 ${ms(percentile(lat, 50))}, p95 ${ms(percentile(lat, 95))}, ` +
      `p99 ${ms(percentile(lat, 99))}, max ${ms(lat.length ? Math.max(...lat) : null)}`,
  ];
  if (s.lastErrors.length) {
    lines.push('Last errors:');
    for (const e of s.lastErrors)
      lines.push(`  ${e.at} ${e.where}${e.dossierId ? ` ${e.dossierId}` : ''}: ${e.message}`);
  }
  return lines.join('\n');
}

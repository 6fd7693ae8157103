import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { updatePerformanceDoc } from './bench-report';
import { HOPS, percentile } from './flow-tap';

describe('percentile (nearest rank)', () => {
  it('picks the value at the rank, treats Infinity as the largest, and is null for nothing', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([5, Infinity, 1], 99)).toBe(Infinity);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('per-hop times', () => {
  it('are differences of the event times, absent when the dossier did not take the hop', () => {
    const d = {
      submitted: 1000,
      submittedPub: 1010,
      verified: 1050,
      verifiedPub: 1060,
      feeDecided: 1070,
      feeDecidedPub: 1080,
      feeRequested: true,
      paid: 1500,
      paidPub: 1510,
      received: 1530,
      completed: 2000,
    };
    expect(HOPS['intake outbox → Kafka']?.(d)).toBe(10);
    expect(HOPS['identity check']?.(d)).toBe(40);
    expect(HOPS['fee decision']?.(d)).toBe(10);
    expect(HOPS['citizen pays']?.(d)).toBe(420);
    expect(HOPS['case reception']?.(d)).toBe(20);
    expect(HOPS['officer processing']?.(d)).toBe(470);
    // A waived fee: no payment hop, reception counts from the waiver.
    const waived = { ...d, feeRequested: undefined, paid: undefined, paidPub: undefined };
    expect(HOPS['citizen pays']?.(waived)).toBeUndefined();
    expect(HOPS['case reception']?.(waived)).toBe(1530 - 1080);
    expect(HOPS['officer processing']?.({ submitted: 1 })).toBeUndefined();
  });
});

describe('updatePerformanceDoc', () => {
  it('adds the section once, then replaces only what is between the markers', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hoso-doc-')), 'performance.md');
    writeFileSync(file, '# Performance\n\nMessaging text.\n');
    await updatePerformanceDoc(file, '## End-to-end flow\n\n| rate | x |\n|-|-|\n| 1 | 2 |\n');
    const first = readFileSync(file, 'utf8');
    expect(first).toMatch(/^# Performance\n\nMessaging text\.\n\n<!-- bench:begin/);
    // Laid out as prettier would (so `prettier --check` passes after a run).
    expect(first).toContain('| 1    | 2   |');
    writeFileSync(file, `${first}\n### Analysis\n\nWritten by hand.\n`);
    await updatePerformanceDoc(file, '## End-to-end flow\n\n| rate | x |\n|-|-|\n| 3 | 4 |\n');
    const second = readFileSync(file, 'utf8');
    expect(second).toContain('| 3    | 4   |');
    expect(second).not.toContain('| 1    | 2   |');
    expect(second).toContain('Messaging text.');
    expect(second).toContain('### Analysis\n\nWritten by hand.');
    expect(second.match(/bench:begin/g)).toHaveLength(1);
  });
});

/**
 * The benchmark's own view of the flow: a kafkajs consumer on the platform's topics (the simulator never reads
 * Kafka; a benchmark may) that keeps, per dossier, when each event happened (envelope `occurredAt`, written in
 * the producing transaction) and when it was published (the Kafka record's timestamp, set by the outbox relay's
 * producer). Latencies and per-hop times are differences of these.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';

export interface DossierTimes {
  submitted?: number;
  submittedPub?: number;
  verified?: number;
  verifiedPub?: number;
  identityRejected?: number;
  /** payment.requested or payment.waived: the fee decision. */
  feeDecided?: number;
  feeDecidedPub?: number;
  feeRequested?: boolean;
  paid?: number;
  paidPub?: number;
  received?: number;
  completed?: number;
}

const TOPICS = {
  'dossier.submitted.v1': ['submitted', 'submittedPub'],
  'identity.verified.v1': ['verified', 'verifiedPub'],
  'identity.rejected.v1': ['identityRejected', null],
  'payment.requested.v1': ['feeDecided', 'feeDecidedPub'],
  'payment.waived.v1': ['feeDecided', 'feeDecidedPub'],
  'payment.completed.v1': ['paid', 'paidPub'],
  'case.received.v1': ['received', null],
  'case.completed.v1': ['completed', null],
} as const satisfies Record<string, readonly [keyof DossierTimes, keyof DossierTimes | null]>;

type TappedTopic = keyof typeof TOPICS;

export class FlowTap {
  readonly dossiers = new Map<string, DossierTimes>();
  /** Every case.received / case.completed time seen, for throughput over a window (any dossier). */
  readonly receivedAt: number[] = [];
  readonly completedAt: number[] = [];
  /** Every dossier.submitted time seen (first occurrence per dossier), for the metrics' freshness. */
  readonly submittedAt: number[] = [];
  events = 0;
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({
      groupId: `${this.prefix}bench-tap-${randomBytes(3).toString('hex')}`,
      maxWaitTimeInMs: 100,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: Object.keys(TOPICS).map((t) => `${this.prefix}${t}`),
      fromBeginning: true,
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const topic = batch.topic.slice(this.prefix.length) as TappedTopic;
        const [at, pub] = TOPICS[topic];
        for (const m of batch.messages) {
          if (!m.value) continue;
          let e: { dossierId?: string | null; occurredAt?: string };
          try {
            e = JSON.parse(m.value.toString()) as typeof e;
          } catch {
            continue;
          }
          if (!e.dossierId || !e.occurredAt) continue;
          this.events++;
          const t = Date.parse(e.occurredAt);
          let d = this.dossiers.get(e.dossierId);
          if (!d) {
            d = {};
            this.dossiers.set(e.dossierId, d);
          }
          // The first occurrence counts (a redelivered event must not move a time).
          if (d[at] === undefined) {
            (d as Record<string, number>)[at] = t;
            if (pub) (d as Record<string, number>)[pub] = Number(m.timestamp);
            if (topic === 'payment.requested.v1') d.feeRequested = true;
            if (topic === 'dossier.submitted.v1') this.submittedAt.push(t);
            if (topic === 'case.received.v1') this.receivedAt.push(t);
            if (topic === 'case.completed.v1') this.completedAt.push(t);
          }
        }
        await Promise.resolve();
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}

/** Hop name → how long the dossier spent in it (ms), or undefined when the dossier did not take that hop. */
export const HOPS: Record<string, (d: DossierTimes) => number | undefined> = {
  // intake's transaction committed → its outbox relay published dossier.submitted.
  'intake outbox → Kafka': (d) => diff(d.submittedPub, d.submitted),
  // published → identity consumed it, checked the registry, committed identity.verified.
  'identity check': (d) => diff(d.verified, d.submittedPub),
  // the later of submitted/verified published → payment decided the fee (requested or waived).
  'fee decision': (d) => diff(d.feeDecided, latest(d.submittedPub, d.verifiedPub)),
  // fee requested → the citizen bot saw AWAITING_PAYMENT, paid at the gateway, the signed callback was processed.
  'citizen pays': (d) => (d.feeRequested ? diff(d.paid, d.feeDecidedPub) : undefined),
  // the later of verified/settled published → case-tracking opened the case (RECEIVED).
  'case reception': (d) => diff(d.received, latest(d.verifiedPub, d.feeRequested ? d.paidPub : d.feeDecidedPub)),
  // RECEIVED → officer bots saw the case in the queue, claimed, decided, issued the result, completed.
  'officer processing': (d) => diff(d.completed, d.received),
};

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

/** Nearest-rank percentile of `values` (0 < p ≤ 100); null for none. Infinity counts as larger than everything. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

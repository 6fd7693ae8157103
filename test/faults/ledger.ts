/**
 * What the fault checks count, read straight from the services' databases (never through the services, which
 * may be the thing that is wrong): for each dossier the simulator drove, whether it ended where the simulator
 * saw it end (intake's status, case-tracking's case, identity's one outcome, metrics' facts) — else it is LOST —
 * and whether any fact happened more than once (two cases, two successful payments or refunds, the same event
 * applied twice to intake's status history, the same entry twice in a case's timeline, a once-per-dossier event
 * written twice to an outbox, a charge or refund booked twice by the payment platform itself) — DUPLICATED.
 */
import { Kafka, logLevel, AssignerProtocol } from 'kafkajs';
import { toolKafkaSasl } from '@hoso/config';
import { Pool } from 'pg';
import type { Platform, ServiceName } from '@hoso/platform';
import type { TerminalState } from '@hoso/simulator';

/** The ledger's own connections: the PostgreSQL fault terminates every other connection of the run's databases. */
export const LEDGER_APPLICATION = 'hoso-faults-ledger';

/** Notifications a case sends at most once (a second one is a notification sent twice). */
const ONCE_PER_CASE_NOTIFICATIONS = ['CASE_RECEIVED', 'RESULT_ISSUED'];

/** Events that happen at most once per dossier (a second one in an outbox is a fact applied twice). */
const ONCE_PER_DOSSIER = new Set([
  'dossier.submitted.v1',
  'dossier.withdrawn.v1',
  'identity.verified.v1',
  'identity.rejected.v1',
  'payment.waived.v1',
  'payment.completed.v1',
  'payment.refunded.v1',
  'case.received.v1',
  'case.completed.v1',
  'case.rated.v1',
]);

const INTAKE_STATUS: Record<TerminalState, string> = {
  COMPLETED: 'COMPLETED',
  REJECTED: 'COMPLETED',
  IDENTITY_REJECTED: 'IDENTITY_REJECTED',
  EXPIRED: 'EXPIRED',
  WITHDRAWN: 'WITHDRAWN',
};

export interface Verdict {
  dossiers: number;
  /** Dossier id → what is missing or wrong. */
  lost: Map<string, string[]>;
  /** Dossier id → what happened twice. */
  duplicated: Map<string, string[]>;
}

export type Db = 'intake' | 'identity' | 'payment' | 'case-tracking' | 'metrics';
export const DBS: readonly Db[] = ['intake', 'identity', 'payment', 'case-tracking', 'metrics'];

/** A verdict's lost and duplicated dossiers, one line each (the first 40): empty when every dossier ended once. */
export function describeVerdict(v: Verdict): string {
  const lines: string[] = [];
  for (const [id, what] of v.lost) lines.push(`  lost ${id}: ${what.join('; ')}`);
  for (const [id, what] of v.duplicated) lines.push(`  duplicated ${id}: ${what.join('; ')}`);
  return lines.slice(0, 40).join('\n');
}

function add(m: Map<string, string[]>, id: string, what: string): void {
  const list = m.get(id) ?? [];
  list.push(what);
  m.set(id, list);
}

export class Ledger {
  private readonly pools = new Map<Db, Pool>();
  /** The payment platform simulator's own books: a charge or a refund made twice shows there, whatever payment says. */
  private readonly gateway: Pool;
  readonly kafka: Kafka;

  constructor(
    private readonly platform: Platform,
    brokers: readonly string[],
  ) {
    for (const db of DBS) {
      const url = platform.databases[db];
      if (!url) throw new Error(`no database for ${db}`);
      const pool = new Pool({ connectionString: url, max: 2, application_name: LEDGER_APPLICATION });
      // An idle client whose server connection went away (a database fault) is dropped; the next query opens one.
      pool.on('error', () => undefined);
      this.pools.set(db, pool);
    }
    const gatewayUrl = platform.databases['payment-gateway'];
    if (!gatewayUrl) throw new Error('no database for payment-gateway');
    this.gateway = new Pool({ connectionString: gatewayUrl, max: 1, application_name: LEDGER_APPLICATION });
    this.gateway.on('error', () => undefined);
    this.kafka = new Kafka({
      sasl: toolKafkaSasl(),
      clientId: 'hoso-faults',
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values(), this.gateway].map((p) => p.end()));
  }

  /** A query on one service's database (the checks' own reads). */
  async rows<R extends object>(db: Db, sql: string, params: unknown[] = []): Promise<R[]> {
    return (await (this.pools.get(db) as Pool).query<R>(sql, params)).rows;
  }

  /** Events a service has consumed so far (its inbox rows). */
  async consumed(service: ServiceName | 'all'): Promise<number> {
    const dbs = service === 'all' ? DBS : DBS.filter((d) => d === service);
    let n = 0;
    for (const db of dbs) {
      n += Number((await this.rows<{ n: string }>(db, 'SELECT count(*) AS n FROM messaging_inbox'))[0]?.n ?? 0);
    }
    return n;
  }

  /** Outbox rows not yet published, every service together. */
  async unsent(): Promise<number> {
    let n = 0;
    for (const db of DBS) {
      n += Number(
        (await this.rows<{ n: string }>(db, 'SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL'))[0]?.n,
      );
    }
    return n;
  }

  /** Topics each consumer group of the run subscribes to (from the members' own subscription metadata). */
  async subscriptions(settledWithinMs = 0): Promise<Map<string, string[]>> {
    const groups = Object.values(this.platform.groupIds);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      let described = await admin.describeGroups(groups);
      // A group rejoining after the previous scenario's fault shows no members for a moment: its topics would be
      // missing. With a patience, wait (polling) until every group is Stable with members.
      const deadline = Date.now() + settledWithinMs;
      while (
        settledWithinMs > 0 &&
        described.groups.some((g) => g.state !== 'Stable' || g.members.length === 0) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 250));
        described = await admin.describeGroups(groups);
      }
      const out = new Map<string, string[]>();
      for (const g of described.groups) {
        const topics = new Set<string>();
        for (const m of g.members) {
          const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
          for (const t of meta?.topics ?? []) topics.add(t);
        }
        out.set(g.groupId, [...topics].sort());
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Messages each group still has to read on the topics it subscribes to (end offset minus committed offset), all
   * groups together (or `onlyGroup`'s); `ends`, when given, limits it to those topics and is the end offsets to reach.
   */
  async lag(ends?: Map<string, Map<number, bigint>>, onlyGroup?: string): Promise<number> {
    const subs = await this.subscriptions();
    if (onlyGroup) for (const g of [...subs.keys()]) if (g !== onlyGroup) subs.delete(g);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      let total = 0n;
      for (const [groupId, topics] of subs) {
        const mine = ends ? topics.filter((t) => ends.has(t)) : topics;
        if (mine.length === 0) continue;
        const committed = await admin.fetchOffsets({ groupId, topics: mine });
        for (const t of committed) {
          const high =
            ends?.get(t.topic) ??
            new Map((await admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, BigInt(o.high)]));
          for (const p of t.partitions) {
            const end = high.get(p.partition) ?? 0n;
            const at = p.offset === '-1' ? 0n : BigInt(p.offset);
            if (end > at) total += end - at;
          }
        }
      }
      return Number(total);
    } finally {
      await admin.disconnect();
    }
  }

  /** Every group has read everything and no outbox holds an unsent event (twice in a row: nothing in between). */
  async quiet(): Promise<boolean> {
    for (let i = 0; i < 2; i++) {
      if ((await this.unsent()) > 0 || (await this.lag()) > 0) return false;
    }
    return true;
  }

  /** What keeps the flow from being quiet, for a failure's message: unsent outbox rows per database, lag per group. */
  async whyNotQuiet(): Promise<string> {
    const parts: string[] = [];
    for (const db of DBS) {
      const n = Number(
        (await this.rows<{ n: string }>(db, 'SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL'))[0]?.n,
      );
      if (n > 0) parts.push(`${db}: ${n} unsent`);
    }
    const subs = await this.subscriptions();
    for (const group of Object.values(this.platform.groupIds)) {
      if (!subs.has(group)) parts.push(`group ${group}: no member subscribed`);
      else {
        const lag = await this.lag(undefined, group);
        if (lag > 0) parts.push(`group ${group}: lag ${lag}`);
      }
    }
    return parts.join('; ') || 'quiet now';
  }

  /** Judges the dossiers against where the simulator saw each end (null: the simulator could not tell). */
  async judge(expected: ReadonlyMap<string, TerminalState | null>): Promise<Verdict> {
    const ids = [...expected.keys()];
    const lost = new Map<string, string[]>();
    const duplicated = new Map<string, string[]>();

    const intake = new Map(
      (
        await this.rows<{ id: string; status: string }>(
          'intake',
          'SELECT id, status FROM dossiers WHERE id = ANY($1)',
          [ids],
        )
      ).map((r) => [r.id, r.status]),
    );
    for (const r of await this.rows<{ dossier_id: string; event_id: string; n: string }>(
      'intake',
      `SELECT dossier_id, event_id, count(*) AS n FROM dossier_status_history
        WHERE dossier_id = ANY($1) AND event_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1`,
      [ids],
    )) {
      add(duplicated, r.dossier_id, `intake status history: event ${r.event_id} recorded ${r.n} times`);
    }
    for (const r of await this.rows<{ dossier_id: string; status: string; n: string }>(
      'intake',
      `SELECT dossier_id, status, count(*) AS n FROM dossier_status_history
        WHERE dossier_id = ANY($1) AND applied AND status IN ('IDENTITY_REJECTED', 'EXPIRED', 'COMPLETED', 'WITHDRAWN')
        GROUP BY 1, 2 HAVING count(*) > 1`,
      [ids],
    )) {
      add(duplicated, r.dossier_id, `intake: ended ${r.status} ${r.n} times`);
    }

    const cases = new Map<string, { n: number; status: string; outcome: string | null }>();
    for (const r of await this.rows<{ dossier_id: string; n: string; status: string; outcome: string | null }>(
      'case-tracking',
      `SELECT dossier_id, count(*) AS n, max(status) AS status, max(outcome) AS outcome FROM cases
        WHERE dossier_id = ANY($1) GROUP BY dossier_id`,
      [ids],
    )) {
      cases.set(r.dossier_id, { n: Number(r.n), status: r.status, outcome: r.outcome });
      if (Number(r.n) > 1) add(duplicated, r.dossier_id, `case-tracking: ${r.n} cases`);
    }
    for (const r of await this.rows<{ dossier_id: string; to_status: string; n: string }>(
      'case-tracking',
      `SELECT dossier_id, to_status, count(*) AS n FROM case_history
        WHERE dossier_id = ANY($1) AND kind = 'MOVE' AND (from_status IS NULL OR to_status = 'COMPLETED')
        GROUP BY 1, 2 HAVING count(*) > 1`,
      [ids],
    )) {
      add(duplicated, r.dossier_id, `case history: moved to ${r.to_status} ${r.n} times`);
    }

    // The case's timeline: the same move, warning or event recorded twice (same instant, same content), whatever
    // ids the copies were given.
    for (const r of await this.rows<{ dossier_id: string; entry: string; n: string }>(
      'case-tracking',
      `SELECT dossier_id, kind || ' ' || coalesce(from_status, '-') || '→' || to_status || ' at ' || at AS entry,
              count(*) AS n
         FROM case_history WHERE dossier_id = ANY($1)
        GROUP BY dossier_id, case_id, kind, from_status, to_status, at, due_at HAVING count(*) > 1`,
      [ids],
    )) {
      add(duplicated, r.dossier_id, `case timeline: ${r.entry} recorded ${r.n} times`);
    }
    for (const r of await this.rows<{ dossier_id: string; type: string; n: string }>(
      'case-tracking',
      `SELECT dossier_id, type, count(*) AS n FROM dossier_events WHERE dossier_id = ANY($1)
        GROUP BY dossier_id, type, occurred_at, payload HAVING count(*) > 1`,
      [ids],
    )) {
      add(duplicated, r.dossier_id, `case timeline: event ${r.type} recorded ${r.n} times`);
    }

    for (const r of await this.rows<{ dossier_id: string; kind: string; n: string }>(
      'case-tracking',
      `SELECT dossier_id, kind, count(*) AS n FROM mailbox
        WHERE dossier_id = ANY($1) AND kind = ANY($2) GROUP BY 1, 2 HAVING count(*) > 1`,
      [ids, ONCE_PER_CASE_NOTIFICATIONS],
    )) {
      add(duplicated, r.dossier_id, `case-tracking: notification ${r.kind} sent ${r.n} times`);
    }

    for (const r of await this.rows<{ dossier_id: string; paid: string; refunds: string }>(
      'payment',
      `SELECT d.dossier_id,
              (SELECT count(*) FROM payment_intents i WHERE i.dossier_id = d.dossier_id AND i.status = 'SUCCEEDED') AS paid,
              (SELECT count(*) FROM payment_refunds f WHERE f.dossier_id = d.dossier_id) AS refunds
         FROM payment_dossiers d WHERE d.dossier_id = ANY($1)`,
      [ids],
    )) {
      if (Number(r.paid) > 1) add(duplicated, r.dossier_id, `payment: ${r.paid} successful payments`);
      if (Number(r.refunds) > 1) add(duplicated, r.dossier_id, `payment: ${r.refunds} refunds`);
    }

    // What the payment platform itself booked for these dossiers' payments: one charge and one refund at most each.
    const paymentsOf = new Map(
      (
        await this.rows<{ payment_id: string; dossier_id: string }>(
          'payment',
          'SELECT payment_id, dossier_id FROM payment_intents WHERE dossier_id = ANY($1)',
          [ids],
        )
      ).map((r) => [r.payment_id, r.dossier_id]),
    );
    if (paymentsOf.size > 0) {
      const booked = await this.gateway.query<{ payment_id: string; kind: string; n: string }>(
        `SELECT payment_id, kind, count(*) AS n FROM gateway_ledger
          WHERE payment_id = ANY($1) AND status IN ('SUCCEEDED', 'REFUNDED') GROUP BY 1, 2 HAVING count(*) > 1`,
        [[...paymentsOf.keys()]],
      );
      for (const r of booked.rows) {
        const what = r.kind === 'REFUND' ? 'refunds' : 'charges';
        add(
          duplicated,
          paymentsOf.get(r.payment_id) ?? r.payment_id,
          `payment platform: ${r.n} ${what} of ${r.payment_id}`,
        );
      }
    }

    const prefix = this.platform.topicPrefix;
    const identityOutcomes = new Map<string, number>();
    for (const db of DBS) {
      for (const r of await this.rows<{ key: string; topic: string; n: string }>(
        db,
        'SELECT key, topic, count(*) AS n FROM messaging_outbox WHERE key = ANY($1) GROUP BY 1, 2',
        [ids],
      )) {
        const topic = r.topic.startsWith(prefix) ? r.topic.slice(prefix.length) : r.topic;
        if (ONCE_PER_DOSSIER.has(topic) && Number(r.n) > 1)
          add(duplicated, r.key, `${db}: ${topic} written ${r.n} times`);
        if (db === 'identity' && topic.startsWith('identity.')) {
          identityOutcomes.set(r.key, (identityOutcomes.get(r.key) ?? 0) + Number(r.n));
        }
      }
    }
    for (const [id, n] of identityOutcomes) if (n > 1) add(duplicated, id, `identity: ${n} outcomes`);

    const facts = new Map(
      (
        await this.rows<{ dossier_id: string; identity_status: string | null; outcome: string | null; w: boolean }>(
          'metrics',
          `SELECT dossier_id, identity_status, outcome, withdrawn_at IS NOT NULL AS w
             FROM metrics_dossier_facts WHERE dossier_id = ANY($1)`,
          [ids],
        )
      ).map((r) => [r.dossier_id, r]),
    );

    for (const [id, state] of expected) {
      const status = intake.get(id);
      if (!status) {
        add(lost, id, 'intake: no dossier');
        continue;
      }
      if ((identityOutcomes.get(id) ?? 0) === 0) add(lost, id, 'identity: no outcome');
      if (state === null) continue;
      if (status !== INTAKE_STATUS[state]) add(lost, id, `intake: ${status}, expected ${INTAKE_STATUS[state]}`);
      const c = cases.get(id);
      const fact = facts.get(id);
      if (state === 'COMPLETED' || state === 'REJECTED') {
        const outcome = state === 'COMPLETED' ? 'APPROVED' : 'REJECTED';
        if (c?.status !== 'COMPLETED' || c.outcome !== outcome) {
          add(
            lost,
            id,
            `case-tracking: ${c ? `${c.status}/${c.outcome ?? '-'}` : 'no case'}, expected COMPLETED/${outcome}`,
          );
        }
        if (fact?.outcome !== outcome)
          add(lost, id, `metrics: outcome ${fact?.outcome ?? 'none'}, expected ${outcome}`);
      } else if (state === 'IDENTITY_REJECTED') {
        if (c) add(lost, id, `case-tracking: a case (${c.status}) for a dossier identity rejected`);
        if (fact?.identity_status !== 'REJECTED') {
          add(lost, id, `metrics: identity ${fact?.identity_status ?? 'none'}, expected REJECTED`);
        }
      } else if (state === 'WITHDRAWN') {
        if (c && c.status !== 'WITHDRAWN') add(lost, id, `case-tracking: ${c.status}, expected WITHDRAWN or no case`);
        if (!fact?.w) add(lost, id, 'metrics: not withdrawn');
      }
    }
    return { dossiers: expected.size, lost, duplicated };
  }

  /**
   * Everything the services hold about each dossier, one canonical text per dossier: two snapshots are equal when
   * nothing about those dossiers changed in between (a row added, a status moved, a timestamp rewritten).
   */
  async snapshot(ids: readonly string[]): Promise<Map<string, string>> {
    const parts: [Db, string][] = [
      [
        'intake',
        `SELECT d.id::text AS id, jsonb_build_object('d', to_jsonb(d),
                'h', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.id) FROM dossier_status_history h WHERE h.dossier_id = d.id)) AS doc
           FROM dossiers d WHERE d.id = ANY($1)`,
      ],
      [
        'case-tracking',
        `SELECT cd.dossier_id::text AS id, jsonb_build_object('cd', to_jsonb(cd),
                'c', (SELECT jsonb_agg(to_jsonb(c)) FROM cases c WHERE c.dossier_id = cd.dossier_id),
                'h', (SELECT count(*) FROM case_history h WHERE h.dossier_id = cd.dossier_id),
                'e', (SELECT count(*) FROM dossier_events e WHERE e.dossier_id = cd.dossier_id),
                'm', (SELECT count(*) FROM mailbox m WHERE m.dossier_id = cd.dossier_id)) AS doc
           FROM case_dossiers cd WHERE cd.dossier_id = ANY($1)`,
      ],
      [
        'payment',
        `SELECT d.dossier_id::text AS id, jsonb_build_object('d', to_jsonb(d),
                'i', (SELECT jsonb_agg(to_jsonb(i) ORDER BY i.payment_id) FROM payment_intents i WHERE i.dossier_id = d.dossier_id),
                'r', (SELECT jsonb_agg(to_jsonb(r) ORDER BY r.payment_id) FROM payment_refunds r WHERE r.dossier_id = d.dossier_id)) AS doc
           FROM payment_dossiers d WHERE d.dossier_id = ANY($1)`,
      ],
      [
        'metrics',
        `SELECT f.dossier_id::text AS id, to_jsonb(f) - 'due_as_of' AS doc
           FROM metrics_dossier_facts f WHERE f.dossier_id = ANY($1)`,
      ],
    ];
    for (const db of DBS) {
      parts.push([
        db,
        `SELECT key AS id, jsonb_agg(event_id ORDER BY event_id) AS doc FROM messaging_outbox
          WHERE key = ANY($1::text[]) GROUP BY key`,
      ]);
    }
    const out = new Map<string, string>(ids.map((id) => [id, '']));
    for (const [db, sql] of parts) {
      for (const r of await this.rows<{ id: string; doc: unknown }>(db, sql, [ids])) {
        out.set(r.id, `${out.get(r.id) ?? ''}${db}:${JSON.stringify(r.doc)}\n`);
      }
    }
    return out;
  }
}

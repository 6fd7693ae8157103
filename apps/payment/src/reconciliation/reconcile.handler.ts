import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { paymentMethods } from '@hoso/contracts';
import type { Config } from '../config';
import { ApplyGatewayResult, type PaymentMethod } from '../gateway/apply-gateway-result.handler';
import { GatewayClient } from '../gateway/gateway.client';
import { ExpireIntent } from '../intents/expire-intent.handler';
import type { IntentRow } from '../intents/intent.store';
import { CLOCK, PAYMENT_CONFIG, type Clock } from '../tokens';

export interface ReconciliationDifference {
  kind: 'UNKNOWN_PAYMENT' | 'UNKNOWN_SESSION' | 'AMOUNT_MISMATCH' | 'MISSING_IN_LEDGER' | 'STATUS_MISMATCH';
  paymentId: string;
  sessionId: string | null;
  detail: string;
}

export interface ReconciliationReport {
  startedAt: string;
  since: string;
  ledgerEntries: number;
  /** Results whose callback never arrived, applied now (each at most once: applying is idempotent). */
  repaired: { paymentId: string; outcome: string }[];
  /** Overdue intents whose expiry job was lost. */
  expired: string[];
  differences: ReconciliationDifference[];
}

/**
 * Compares the gateway's ledger with local intents. A lost callback is repaired through the same code path as
 * a callback (so it cannot complete a payment twice); anything else is reported for an operator.
 */
@Injectable()
export class Reconcile {
  constructor(
    private readonly ds: DataSource,
    private readonly gateway: GatewayClient,
    private readonly applyResult: ApplyGatewayResult,
    private readonly expireIntent: ExpireIntent,
    private readonly log: PinoLogger,
    @Inject(PAYMENT_CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.log.setContext('Reconcile');
  }

  async run(correlationId: string): Promise<ReconciliationReport> {
    const started = this.clock.now();
    const since = new Date(started.getTime() - this.config.RECONCILE_LOOKBACK_SEC * 1000);
    const entries = (await this.gateway.ledgerSince(since)).filter((e) => e.kind === 'PAYMENT');
    const ids = [...new Set(entries.map((e) => e.paymentId))];
    const local = new Map(
      (await this.ds.query<IntentRow[]>('SELECT * FROM payment_intents WHERE payment_id = ANY($1::uuid[])', [ids])).map(
        (i) => [i.payment_id, i],
      ),
    );
    const report: ReconciliationReport = {
      startedAt: started.toISOString(),
      since: since.toISOString(),
      ledgerEntries: entries.length,
      repaired: [],
      expired: [],
      differences: [],
    };
    for (const e of entries) {
      const intent = local.get(e.paymentId);
      const diff = (kind: ReconciliationDifference['kind'], detail: string) =>
        report.differences.push({ kind, paymentId: e.paymentId, sessionId: e.sessionId, detail });
      if (!intent) {
        diff(
          'UNKNOWN_PAYMENT',
          `ledger ${e.gatewayReference}: ${e.status} ${e.amountVnd} VND for a payment hoso does not know`,
        );
        continue;
      }
      if (intent.session_id && e.sessionId !== intent.session_id) {
        diff('UNKNOWN_SESSION', `ledger session ${e.sessionId ?? '-'} is not the intent's ${intent.session_id}`);
        continue;
      }
      if (e.amountVnd !== Number(intent.amount_vnd)) {
        diff('AMOUNT_MISMATCH', `ledger ${e.amountVnd} VND, intent ${intent.amount_vnd} VND`);
        continue;
      }
      // A gateway success on a payment taken in cash is a second payment: applied, it is flagged and reported.
      const repairable =
        (e.status === 'SUCCEEDED' && (intent.status !== 'SUCCEEDED' || intent.method === 'CASH')) ||
        (e.status === 'FAILED' && intent.status === 'PENDING');
      if (!repairable) continue;
      const method = (paymentMethods as readonly string[]).includes(e.method ?? '')
        ? (e.method as PaymentMethod)
        : 'CARD';
      const result = await this.applyResult.apply(
        {
          sessionId: e.sessionId ?? '',
          paymentId: e.paymentId,
          status: e.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
          amountVnd: e.amountVnd,
          gatewayReference: e.gatewayReference,
          method,
          occurredAt: e.occurredAt,
        },
        'RECONCILIATION',
        correlationId,
      );
      if (result.outcome === 'completed' || result.outcome === 'failed') {
        report.repaired.push({ paymentId: e.paymentId, outcome: result.outcome });
      } else if (result.outcome === 'flagged' || (e.status === 'SUCCEEDED' && result.outcome === 'ignored')) {
        diff('STATUS_MISMATCH', `ledger ${e.status}, intent ${intent.status}: ${result.detail ?? result.outcome}`);
      }
    }
    const ledgerPaid = new Set(entries.filter((e) => e.status === 'SUCCEEDED').map((e) => e.paymentId));
    const paidLocally = await this.ds.query<{ payment_id: string; session_id: string | null }[]>(
      // Cash taken at the counter never reaches the gateway's ledger.
      `SELECT payment_id, session_id FROM payment_intents
       WHERE status = 'SUCCEEDED' AND settled_at >= $1 AND settled_via <> 'COUNTER'`,
      [since],
    );
    for (const p of paidLocally.filter((x) => !ledgerPaid.has(x.payment_id))) {
      report.differences.push({
        kind: 'MISSING_IN_LEDGER',
        paymentId: p.payment_id,
        sessionId: p.session_id,
        detail: 'paid locally, no successful payment in the gateway ledger',
      });
    }
    // Safety net for lost expiry jobs (Redis flushed, job removed): intents well past their deadline.
    const overdue = await this.ds.query<{ payment_id: string }[]>(
      `SELECT i.payment_id FROM payment_intents i JOIN payment_dossiers d USING (dossier_id)
       WHERE d.state = 'AWAITING_PAYMENT' AND i.status IN ('PENDING', 'FAILED') AND i.expires_at < $1`,
      [new Date(started.getTime() - 30_000)],
    );
    for (const o of overdue) {
      if ((await this.expireIntent.expire(o.payment_id)) !== 'nothing') report.expired.push(o.payment_id);
    }
    this.log[report.differences.length ? 'warn' : 'info'](
      { repaired: report.repaired.length, expired: report.expired.length, differences: report.differences },
      'reconciliation finished',
    );
    return report;
  }
}

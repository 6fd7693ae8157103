import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MessagingService } from '@hoso/messaging';
import { computeFee, type FeeExemption } from '../fees/domain/fee';
import type { AfterCommit } from '../jobs/payment-queues';
import { OpenIntent, type EventCause } from '../intents/open-intent';
import { setDossierState, type DossierRow } from '../intents/intent.store';
import { CLOCK, type Clock } from '../tokens';

interface ExemptionRow {
  id: number;
  province_code: string;
  channel: 'ONLINE' | 'COUNTER';
  procedure_code: string | null;
  percent: number;
  valid_from: string;
  valid_to: string | null;
  basis: string;
}

/**
 * Decides the fee once a dossier is both submitted and identity-verified (the two events come on different
 * topics, in any order): waived → payment.waived.v1, else a pending intent → payment.requested.v1.
 * The caller holds the dossier rows' locks, so each decision is taken exactly once.
 */
@Injectable()
export class SettleFee {
  constructor(
    private readonly messaging: MessagingService,
    private readonly openIntent: OpenIntent,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The decisions of every row that is now complete, caused by `causeOf(dossierId)`: the exemptions of all their
   * provinces and channels read in one statement, the waived ones written and announced together (one statement
   * each), a pending intent opened for each of the others.
   */
  async settleManyIfReady(
    m: EntityManager,
    rows: readonly DossierRow[],
    causeOf: (dossierId: string) => EventCause,
    afterCommit: AfterCommit,
  ): Promise<void> {
    const ready = rows.filter((d) => d.state === 'COLLECTING' && d.identity_status === 'VERIFIED' && d.submitted_at);
    if (!ready.length) return;
    const scopes = [...new Set(ready.map((d) => JSON.stringify([d.province_code ?? '', d.channel ?? 'ONLINE'])))].map(
      (k) => JSON.parse(k) as [string, string],
    );
    const exemptionRows = await m.query<ExemptionRow[]>(
      `SELECT id, province_code, channel, procedure_code, percent,
              to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to, basis
       FROM fee_exemptions
       WHERE (province_code, channel) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY id`,
      [scopes.map((s) => s[0]), scopes.map((s) => s[1])],
    );
    const exemptions: FeeExemption[] = exemptionRows.map((r) => ({
      id: r.id,
      provinceCode: r.province_code,
      channel: r.channel,
      procedureCode: r.procedure_code,
      percent: r.percent,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      basis: r.basis,
    }));
    const waived: { d: DossierRow; decision: Extract<ReturnType<typeof computeFee>, { kind: 'WAIVED' }> }[] = [];
    for (const d of ready) {
      const province = d.province_code ?? '';
      const channel = d.channel ?? 'ONLINE';
      const decision = computeFee(
        {
          feeVnd: Number(d.fee_vnd),
          provinceCode: province,
          channel,
          procedureCode: d.procedure_code ?? '',
          submittedAt: d.submitted_at as Date,
        },
        exemptions.filter((x) => x.provinceCode === province && x.channel === channel),
      );
      if (decision.kind === 'WAIVED') {
        waived.push({ d, decision });
        continue;
      }
      await m.query(
        `UPDATE payment_dossiers SET base_amount_vnd = $2, amount_vnd = $3, exemption_id = $4 WHERE dossier_id = $1`,
        [d.dossier_id, decision.baseAmountVnd, decision.amountVnd, decision.exemption?.id ?? null],
      );
      await setDossierState(m, d.dossier_id, 'AWAITING_PAYMENT');
      await this.openIntent.open(m, d.dossier_id, decision.amountVnd, causeOf(d.dossier_id), afterCommit);
    }
    if (!waived.length) return;
    await m.query(
      `UPDATE payment_dossiers AS p SET state = 'WAIVED', base_amount_vnd = w.base, amount_vnd = 0,
         waiver_reason = w.reason, exemption_id = w.exemption, updated_at = now()
       FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[]) AS w(dossier_id, base, reason, exemption)
       WHERE p.dossier_id = w.dossier_id`,
      [
        waived.map((w) => w.d.dossier_id),
        waived.map((w) => w.decision.baseAmountVnd),
        waived.map((w) => w.decision.reason),
        waived.map((w) => w.decision.exemption?.id ?? null),
      ],
    );
    const waivedAt = this.clock.now().toISOString();
    await this.messaging.outbox.addMany(
      m,
      waived.map(({ d, decision }) => {
        const cause = causeOf(d.dossier_id);
        return {
          topic: 'payment.waived.v1' as const,
          payload: {
            dossierId: d.dossier_id,
            reason: decision.reason,
            baseAmountVnd: decision.baseAmountVnd,
            waivedAt,
          },
          meta: { dossierId: d.dossier_id, correlationId: cause.correlationId, causationId: cause.causationId },
        };
      }),
    );
  }
}

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
 * The caller holds the dossier row's lock, so the decision is taken exactly once.
 */
@Injectable()
export class SettleFee {
  constructor(
    private readonly messaging: MessagingService,
    private readonly openIntent: OpenIntent,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async settleIfReady(m: EntityManager, d: DossierRow, cause: EventCause, afterCommit: AfterCommit): Promise<void> {
    if (d.state !== 'COLLECTING' || d.identity_status !== 'VERIFIED' || d.submitted_at === null) return;
    const fee = Number(d.fee_vnd);
    const province = d.province_code ?? '';
    const channel = d.channel ?? 'ONLINE';
    const rows = await m.query<ExemptionRow[]>(
      `SELECT id, province_code, channel, procedure_code, percent,
              to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to, basis
       FROM fee_exemptions WHERE province_code = $1 AND channel = $2`,
      [province, channel],
    );
    const exemptions: FeeExemption[] = rows.map((r) => ({
      id: r.id,
      provinceCode: r.province_code,
      channel: r.channel,
      procedureCode: r.procedure_code,
      percent: r.percent,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      basis: r.basis,
    }));
    const decision = computeFee(
      {
        feeVnd: fee,
        provinceCode: province,
        channel,
        procedureCode: d.procedure_code ?? '',
        submittedAt: d.submitted_at,
      },
      exemptions,
    );
    const meta = { dossierId: d.dossier_id, correlationId: cause.correlationId, causationId: cause.causationId };
    if (decision.kind === 'WAIVED') {
      await m.query(
        `UPDATE payment_dossiers SET state = 'WAIVED', base_amount_vnd = $2, amount_vnd = 0, waiver_reason = $3,
           exemption_id = $4, updated_at = now() WHERE dossier_id = $1`,
        [d.dossier_id, decision.baseAmountVnd, decision.reason, decision.exemption?.id ?? null],
      );
      await this.messaging.outbox.add(
        m,
        'payment.waived.v1',
        {
          dossierId: d.dossier_id,
          reason: decision.reason,
          baseAmountVnd: decision.baseAmountVnd,
          waivedAt: this.clock.now().toISOString(),
        },
        meta,
      );
      return;
    }
    await m.query(
      `UPDATE payment_dossiers SET base_amount_vnd = $2, amount_vnd = $3, exemption_id = $4 WHERE dossier_id = $1`,
      [d.dossier_id, decision.baseAmountVnd, decision.amountVnd, decision.exemption?.id ?? null],
    );
    await setDossierState(m, d.dossier_id, 'AWAITING_PAYMENT');
    await this.openIntent.open(m, d.dossier_id, decision.amountVnd, cause, afterCommit);
  }
}

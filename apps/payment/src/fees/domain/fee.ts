/**
 * Fee rules: the procedure's fee minus the exemptions a province grants (data, not code: fee_exemptions).
 * Pure functions, no framework: the consumer loads the rows and calls computeFee.
 */

export type Channel = 'ONLINE' | 'COUNTER';

export interface FeeExemption {
  id: number;
  provinceCode: string;
  channel: Channel;
  /** Null: every procedure of the province. */
  procedureCode: string | null;
  /** 100 = fully exempt, 50 = half the fee. */
  percent: number;
  /** Inclusive local dates (YYYY-MM-DD); validTo null = open-ended. */
  validFrom: string;
  validTo: string | null;
  basis: string;
}

export interface FeeInput {
  feeVnd: number;
  provinceCode: string;
  channel: Channel;
  procedureCode: string;
  /** The fee is owed as of submission, so redelivered or late events give the same answer. */
  submittedAt: Date;
}

export type WaiverReason = 'ZERO_FEE' | 'ONLINE_EXEMPTION' | 'SUBJECT_EXEMPTION';

export type FeeDecision =
  | { kind: 'WAIVED'; reason: WaiverReason; baseAmountVnd: number; exemption: FeeExemption | null }
  | { kind: 'DUE'; baseAmountVnd: number; amountVnd: number; exemption: FeeExemption | null };

const VIETNAM_OFFSET_MS = 7 * 3600 * 1000;

/** The calendar date in Vietnam (UTC+7, no daylight saving) of an instant: resolutions are dated locally. */
export function vietnamDate(at: Date): string {
  return new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

export function exemptionApplies(e: FeeExemption, input: FeeInput): boolean {
  const day = vietnamDate(input.submittedAt);
  return (
    e.provinceCode === input.provinceCode &&
    e.channel === input.channel &&
    (e.procedureCode === null || e.procedureCode === input.procedureCode) &&
    e.validFrom <= day &&
    (e.validTo === null || day <= e.validTo)
  );
}

export function computeFee(input: FeeInput, exemptions: readonly FeeExemption[]): FeeDecision {
  if (!Number.isInteger(input.feeVnd) || input.feeVnd < 0)
    throw new RangeError('feeVnd must be a whole, non-negative VND amount');
  if (input.feeVnd === 0) return { kind: 'WAIVED', reason: 'ZERO_FEE', baseAmountVnd: 0, exemption: null };
  // Several rules can overlap (a province-wide and a procedure rule): the citizen gets the most favourable one.
  const best = exemptions
    .filter((e) => exemptionApplies(e, input))
    .reduce<FeeExemption | null>((a, e) => (a === null || e.percent > a.percent ? e : a), null);
  const discount = best ? Math.floor((input.feeVnd * best.percent) / 100) : 0;
  const amountVnd = input.feeVnd - discount;
  if (amountVnd === 0) {
    return {
      kind: 'WAIVED',
      reason: input.channel === 'ONLINE' ? 'ONLINE_EXEMPTION' : 'SUBJECT_EXEMPTION',
      baseAmountVnd: input.feeVnd,
      exemption: best,
    };
  }
  return { kind: 'DUE', baseAmountVnd: input.feeVnd, amountVnd, exemption: best };
}

/**
 * Payment-intent state rules. A dossier has at most one PENDING and at most one SUCCEEDED intent
 * (also enforced by unique indexes); gateway results may arrive twice, late or out of order.
 */

export type IntentStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED' | 'CANCELLED';

/** The payment side of a dossier: COLLECTING until both dossier.submitted and identity.verified arrived. */
export type DossierPaymentState =
  'COLLECTING' | 'IDENTITY_REJECTED' | 'WAIVED' | 'AWAITING_PAYMENT' | 'PAID' | 'EXPIRED' | 'WITHDRAWN';

export interface IntentFacts {
  status: IntentStatus;
  amountVnd: number;
  sessionId: string | null;
  /** Paid in cash at the agency's counter (the gateway never saw that money). */
  paidInCash: boolean;
}

export interface GatewayResult {
  sessionId: string;
  paymentId: string;
  status: 'SUCCEEDED' | 'FAILED';
  amountVnd: number;
}

export type Flag = 'AMOUNT_MISMATCH' | 'UNKNOWN_SESSION' | 'LATE_PAYMENT' | 'DOUBLE_PAYMENT';

export type ResultDecision =
  | { action: 'complete' }
  | { action: 'fail' }
  | { action: 'ignore'; why: string }
  | { action: 'flag'; flag: Flag; detail: string };

/** What a verified gateway result does to an intent (a callback and a reconciled ledger entry alike). */
export function decideGatewayResult(
  intent: IntentFacts,
  dossier: { state: DossierPaymentState; paidByAnotherIntent: boolean },
  result: GatewayResult,
): ResultDecision {
  if (result.amountVnd !== intent.amountVnd) {
    return {
      action: 'flag',
      flag: 'AMOUNT_MISMATCH',
      detail: `gateway reports ${result.amountVnd} VND ${result.status}, intent is ${intent.amountVnd} VND`,
    };
  }
  if (intent.sessionId !== null && intent.sessionId !== result.sessionId) {
    return {
      action: 'flag',
      flag: 'UNKNOWN_SESSION',
      detail: `session ${result.sessionId} is not the intent's session ${intent.sessionId}`,
    };
  }
  if (result.status === 'FAILED') {
    // A failure never overrides a success (out-of-order delivery), and a second failure changes nothing.
    return intent.status === 'PENDING' ? { action: 'fail' } : { action: 'ignore', why: `intent is ${intent.status}` };
  }
  // A checkout opened before the cash was taken cannot be closed at the gateway: money arriving through it is a
  // second payment of the same fee, kept for a manual refund.
  if (intent.status === 'SUCCEEDED' && intent.paidInCash) {
    return { action: 'flag', flag: 'DOUBLE_PAYMENT', detail: 'already paid in cash at the counter' };
  }
  if (intent.status === 'SUCCEEDED') return { action: 'ignore', why: 'already succeeded' };
  if (dossier.paidByAnotherIntent) {
    return { action: 'flag', flag: 'DOUBLE_PAYMENT', detail: 'the dossier was already paid by another intent' };
  }
  // Money moved at the gateway: a success after a failure or expiry still pays the dossier, unless the
  // dossier already ended (final expiry, withdrawal) — then it is flagged for a manual refund.
  if (dossier.state !== 'AWAITING_PAYMENT') {
    return { action: 'flag', flag: 'LATE_PAYMENT', detail: `paid while the dossier is ${dossier.state}` };
  }
  return { action: 'complete' };
}

export type CashDecision =
  | { action: 'record' }
  /** The same receipt was already recorded on this payment: the officer's retry gets the same answer. */
  | { action: 'replay' }
  | { action: 'refuse'; status: 400 | 409; reason: string };

/**
 * Whether an officer may record a cash payment taken at the counter. Only for the amount due on a payment still
 * awaiting it: the cash in the drawer must match what the dossier owes, and a fee is never taken twice.
 */
export function decideCashPayment(
  intent: {
    status: IntentStatus;
    amountVnd: number;
    expiresAt: Date;
    method: string | null;
    receiptNo: string | null;
  },
  dossier: { state: DossierPaymentState; paidByAnotherIntent: boolean },
  cash: { amountVnd: number; receiptNo: string },
  now: Date,
): CashDecision {
  if (cash.amountVnd !== intent.amountVnd) {
    return {
      action: 'refuse',
      status: 400,
      reason: `amountVnd must be the amount due, ${intent.amountVnd} VND (got ${cash.amountVnd})`,
    };
  }
  if (intent.status === 'SUCCEEDED' && intent.method === 'CASH' && intent.receiptNo === cash.receiptNo) {
    return { action: 'replay' };
  }
  if (intent.status === 'SUCCEEDED') {
    const how = intent.method === 'CASH' ? `in cash, receipt ${intent.receiptNo ?? '?'}` : 'online';
    return { action: 'refuse', status: 409, reason: `the payment is already paid (${how})` };
  }
  if (intent.status !== 'PENDING') {
    return { action: 'refuse', status: 409, reason: `the payment is ${intent.status}, not awaiting payment` };
  }
  if (dossier.paidByAnotherIntent) return { action: 'refuse', status: 409, reason: 'the dossier is already paid' };
  if (dossier.state !== 'AWAITING_PAYMENT') {
    return { action: 'refuse', status: 409, reason: `the dossier's payment is ${dossier.state}` };
  }
  // Its expiry job may not have run yet; taking cash now would pay a dossier that is about to end unpaid.
  if (intent.expiresAt.getTime() <= now.getTime()) {
    return {
      action: 'refuse',
      status: 409,
      reason: `the payment expired at ${intent.expiresAt.toISOString()}`,
    };
  }
  return { action: 'record' };
}

export interface ExpiryDecision {
  expireIntent: boolean;
  /** payment.failed.v1 EXPIRED final: the dossier ends without a case. */
  endDossier: boolean;
}

/**
 * When an intent's time is up: a pending intent expires; the dossier ends only if this is its newest intent
 * (a retry has its own deadline) and it is still waiting for payment.
 */
export function decideExpiry(
  intent: { status: IntentStatus; isNewest: boolean },
  dossierState: DossierPaymentState,
): ExpiryDecision {
  const expireIntent = intent.status === 'PENDING';
  const endDossier =
    dossierState === 'AWAITING_PAYMENT' &&
    intent.isNewest &&
    (intent.status === 'PENDING' || intent.status === 'FAILED' || intent.status === 'EXPIRED');
  return { expireIntent, endDossier };
}

export type RetryDecision = { ok: true } | { ok: false; reason: string };

/** The citizen may start a new intent only after the last one failed or expired, while the dossier is unpaid. */
export function canStartNewIntent(
  dossierState: DossierPaymentState,
  intents: readonly { status: IntentStatus }[],
): RetryDecision {
  if (dossierState !== 'AWAITING_PAYMENT') return { ok: false, reason: `the dossier's payment is ${dossierState}` };
  if (intents.some((i) => i.status === 'SUCCEEDED')) return { ok: false, reason: 'the dossier is already paid' };
  if (intents.some((i) => i.status === 'PENDING')) return { ok: false, reason: 'a payment is still pending' };
  const last = intents[intents.length - 1];
  if (!last) return { ok: false, reason: 'the dossier has no payment to retry' };
  return { ok: true };
}

import { canStartNewIntent, decideCashPayment, decideExpiry, decideGatewayResult, type IntentFacts } from './intent';

const intent = (over: Partial<IntentFacts> = {}): IntentFacts => ({
  status: 'PENDING',
  amountVnd: 8000,
  sessionId: 'cs_1',
  paidInCash: false,
  ...over,
});
const awaiting = { state: 'AWAITING_PAYMENT' as const, paidByAnotherIntent: false };
const result = (status: 'SUCCEEDED' | 'FAILED', amountVnd = 8000, sessionId = 'cs_1') => ({
  sessionId,
  paymentId: 'p',
  status,
  amountVnd,
});

describe('decideGatewayResult', () => {
  it('completes a pending intent on success and fails it on failure', () => {
    expect(decideGatewayResult(intent(), awaiting, result('SUCCEEDED'))).toEqual({ action: 'complete' });
    expect(decideGatewayResult(intent(), awaiting, result('FAILED'))).toEqual({ action: 'fail' });
  });

  it('treats a second success as a no-op and ignores a failure that arrives after the success', () => {
    const paid = intent({ status: 'SUCCEEDED' });
    const state = { state: 'PAID' as const, paidByAnotherIntent: false };
    expect(decideGatewayResult(paid, state, result('SUCCEEDED')).action).toBe('ignore');
    expect(decideGatewayResult(paid, state, result('FAILED')).action).toBe('ignore');
  });

  it('ignores a repeated failure, and accepts a success that arrives after a failure', () => {
    expect(decideGatewayResult(intent({ status: 'FAILED' }), awaiting, result('FAILED')).action).toBe('ignore');
    expect(decideGatewayResult(intent({ status: 'FAILED' }), awaiting, result('SUCCEEDED')).action).toBe('complete');
  });

  it('flags an amount that does not match the intent, and a foreign session', () => {
    expect(decideGatewayResult(intent(), awaiting, result('SUCCEEDED', 7999))).toMatchObject({
      action: 'flag',
      flag: 'AMOUNT_MISMATCH',
    });
    expect(decideGatewayResult(intent(), awaiting, result('SUCCEEDED', 8000, 'cs_other'))).toMatchObject({
      flag: 'UNKNOWN_SESSION',
    });
    expect(decideGatewayResult(intent({ sessionId: null }), awaiting, result('SUCCEEDED', 8000, 'cs_x')).action).toBe(
      'complete',
    );
  });

  it('flags a payment for a dossier that already ended or was paid by another intent', () => {
    expect(
      decideGatewayResult(
        intent({ status: 'EXPIRED' }),
        { state: 'EXPIRED', paidByAnotherIntent: false },
        result('SUCCEEDED'),
      ),
    ).toMatchObject({ flag: 'LATE_PAYMENT' });
    expect(
      decideGatewayResult(intent(), { state: 'PAID', paidByAnotherIntent: true }, result('SUCCEEDED')),
    ).toMatchObject({
      flag: 'DOUBLE_PAYMENT',
    });
  });

  it('flags a gateway success on a payment already taken in cash (a checkout opened before), ignores a failure', () => {
    const cash = intent({ status: 'SUCCEEDED', paidInCash: true });
    const paid = { state: 'PAID' as const, paidByAnotherIntent: false };
    expect(decideGatewayResult(cash, paid, result('SUCCEEDED'))).toMatchObject({
      action: 'flag',
      flag: 'DOUBLE_PAYMENT',
    });
    expect(decideGatewayResult(cash, paid, result('FAILED')).action).toBe('ignore');
  });
});

describe('decideCashPayment', () => {
  const now = new Date('2025-11-26T03:00:00Z');
  const pending = {
    status: 'PENDING' as const,
    amountVnd: 8000,
    expiresAt: new Date('2025-11-27T03:00:00Z'),
    method: null,
    receiptNo: null,
  };
  const cash = { amountVnd: 8000, receiptNo: 'BL-0001' };

  it('records the amount due on a pending payment of a dossier awaiting payment', () => {
    expect(decideCashPayment(pending, awaiting, cash, now)).toEqual({ action: 'record' });
  });

  it('refuses another amount with a 400 naming the amount due', () => {
    expect(decideCashPayment(pending, awaiting, { ...cash, amountVnd: 7000 }, now)).toEqual({
      action: 'refuse',
      status: 400,
      reason: 'amountVnd must be the amount due, 8000 VND (got 7000)',
    });
  });

  it('answers the same receipt again on a payment it paid, and refuses any other receipt (409)', () => {
    const paidCash = { ...pending, status: 'SUCCEEDED' as const, method: 'CASH', receiptNo: 'BL-0001' };
    const paidState = { state: 'PAID' as const, paidByAnotherIntent: false };
    expect(decideCashPayment(paidCash, paidState, cash, now)).toEqual({ action: 'replay' });
    expect(decideCashPayment(paidCash, paidState, { ...cash, receiptNo: 'BL-0002' }, now)).toMatchObject({
      status: 409,
      reason: 'the payment is already paid (in cash, receipt BL-0001)',
    });
    const paidOnline = { ...pending, status: 'SUCCEEDED' as const, method: 'CARD' };
    expect(decideCashPayment(paidOnline, paidState, cash, now)).toMatchObject({
      status: 409,
      reason: 'the payment is already paid (online)',
    });
  });

  it('refuses a payment that is no longer awaiting payment (409)', () => {
    for (const status of ['EXPIRED', 'CANCELLED', 'FAILED'] as const) {
      expect(decideCashPayment({ ...pending, status }, awaiting, cash, now)).toMatchObject({
        action: 'refuse',
        status: 409,
        reason: `the payment is ${status}, not awaiting payment`,
      });
    }
    expect(decideCashPayment(pending, { state: 'WITHDRAWN', paidByAnotherIntent: false }, cash, now)).toMatchObject({
      status: 409,
      reason: "the dossier's payment is WITHDRAWN",
    });
    expect(decideCashPayment(pending, { state: 'PAID', paidByAnotherIntent: true }, cash, now)).toMatchObject({
      status: 409,
    });
  });

  it('refuses a pending payment past its deadline whose expiry has not run yet', () => {
    expect(decideCashPayment({ ...pending, expiresAt: now }, awaiting, cash, now)).toMatchObject({
      status: 409,
      reason: 'the payment expired at 2025-11-26T03:00:00.000Z',
    });
  });
});

describe('decideExpiry', () => {
  it('expires a pending intent and ends the dossier when it is the newest', () => {
    expect(decideExpiry({ status: 'PENDING', isNewest: true }, 'AWAITING_PAYMENT')).toEqual({
      expireIntent: true,
      endDossier: true,
    });
  });

  it('ends the dossier when the newest intent failed and was never retried', () => {
    expect(decideExpiry({ status: 'FAILED', isNewest: true }, 'AWAITING_PAYMENT')).toEqual({
      expireIntent: false,
      endDossier: true,
    });
  });

  it('does nothing for a paid intent, an old intent superseded by a retry, or a dossier that is paid', () => {
    expect(decideExpiry({ status: 'SUCCEEDED', isNewest: true }, 'PAID')).toEqual({
      expireIntent: false,
      endDossier: false,
    });
    expect(decideExpiry({ status: 'FAILED', isNewest: false }, 'AWAITING_PAYMENT').endDossier).toBe(false);
    expect(decideExpiry({ status: 'PENDING', isNewest: true }, 'PAID').endDossier).toBe(false);
  });
});

describe('canStartNewIntent', () => {
  it('allows a new intent after a failure or expiry of an unpaid dossier', () => {
    expect(canStartNewIntent('AWAITING_PAYMENT', [{ status: 'FAILED' }])).toEqual({ ok: true });
    expect(canStartNewIntent('AWAITING_PAYMENT', [{ status: 'FAILED' }, { status: 'EXPIRED' }])).toEqual({ ok: true });
  });

  it('refuses while one is pending, after payment, or once the dossier ended', () => {
    expect(canStartNewIntent('AWAITING_PAYMENT', [{ status: 'PENDING' }]).ok).toBe(false);
    expect(canStartNewIntent('PAID', [{ status: 'FAILED' }, { status: 'SUCCEEDED' }]).ok).toBe(false);
    expect(canStartNewIntent('EXPIRED', [{ status: 'EXPIRED' }]).ok).toBe(false);
    expect(canStartNewIntent('AWAITING_PAYMENT', []).ok).toBe(false);
  });
});

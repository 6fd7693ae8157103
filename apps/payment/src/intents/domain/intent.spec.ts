import { canStartNewIntent, decideExpiry, decideGatewayResult, type IntentFacts } from './intent';

const intent = (over: Partial<IntentFacts> = {}): IntentFacts => ({
  status: 'PENDING',
  amountVnd: 8000,
  sessionId: 'cs_1',
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

import { canWithdraw, decideStatusMove, DOSSIER_STATUSES, isTerminal, type DossierStatus } from './status';

const t0 = new Date('2026-11-26T01:00:00Z');
const later = new Date('2026-11-26T02:00:00Z');
const earlier = new Date('2026-11-26T00:00:00Z');
const at = (status: DossierStatus, when = t0) => ({ status, at: when });

describe('dossier status moves', () => {
  it('moves forward across phases', () => {
    expect(decideStatusMove(at('SUBMITTED'), 'IDENTITY_VERIFIED', later).move).toBe(true);
    expect(decideStatusMove(at('IDENTITY_VERIFIED'), 'AWAITING_PAYMENT', later).move).toBe(true);
    expect(decideStatusMove(at('AWAITING_PAYMENT'), 'PAID', later).move).toBe(true);
    expect(decideStatusMove(at('WAIVED'), 'RECEIVED', later).move).toBe(true);
    expect(decideStatusMove(at('IN_PROCESS'), 'APPROVED', later).move).toBe(true);
    expect(decideStatusMove(at('REJECTED'), 'RESULT_ISSUED', later).move).toBe(true);
  });

  it('never goes back to an earlier phase, whatever the timestamps', () => {
    expect(decideStatusMove(at('PAID'), 'AWAITING_PAYMENT', later)).toMatchObject({ move: false });
    expect(decideStatusMove(at('RECEIVED'), 'IDENTITY_VERIFIED', later)).toMatchObject({ move: false });
    expect(decideStatusMove(at('AWAITING_PAYMENT'), 'IDENTITY_VERIFIED', later)).toMatchObject({ move: false });
    expect(decideStatusMove(at('APPROVED'), 'IN_PROCESS', later)).toMatchObject({ move: false });
  });

  it('orders moves within a phase by the time of the event', () => {
    expect(decideStatusMove(at('IN_PROCESS'), 'SUPPLEMENT_REQUESTED', later).move).toBe(true);
    expect(decideStatusMove(at('SUPPLEMENT_REQUESTED'), 'IN_PROCESS', later).move).toBe(true);
    expect(decideStatusMove(at('IN_PROCESS'), 'RECEIVED', earlier)).toMatchObject({ move: false });
    expect(decideStatusMove(at('PAYMENT_FAILED'), 'AWAITING_PAYMENT', earlier)).toMatchObject({ move: false });
    expect(decideStatusMove(at('PAYMENT_FAILED'), 'AWAITING_PAYMENT', later).move).toBe(true);
    expect(decideStatusMove(at('IN_PROCESS'), 'IN_PROCESS', later)).toMatchObject({ move: false });
  });

  it('keeps terminal statuses terminal', () => {
    for (const terminal of ['IDENTITY_REJECTED', 'EXPIRED', 'COMPLETED', 'WITHDRAWN'] as const) {
      expect(isTerminal(terminal)).toBe(true);
      for (const next of DOSSIER_STATUSES) {
        expect(decideStatusMove(at(terminal), next, later).move).toBe(false);
      }
    }
  });

  it('lets a terminal event end any open dossier', () => {
    expect(decideStatusMove(at('AWAITING_PAYMENT'), 'IDENTITY_REJECTED', earlier).move).toBe(true);
    expect(decideStatusMove(at('PAYMENT_FAILED'), 'EXPIRED', later).move).toBe(true);
    expect(decideStatusMove(at('RESULT_ISSUED'), 'COMPLETED', later).move).toBe(true);
    expect(decideStatusMove(at('IN_PROCESS'), 'COMPLETED', earlier).move).toBe(true);
  });
});

describe('withdrawal', () => {
  it('is allowed before a decision', () => {
    for (const s of [
      'SUBMITTED',
      'IDENTITY_VERIFIED',
      'AWAITING_PAYMENT',
      'PAYMENT_FAILED',
      'PAID',
      'WAIVED',
      'RECEIVED',
      'IN_PROCESS',
      'SUPPLEMENT_REQUESTED',
      'TRANSFERRED',
    ] as const) {
      expect(canWithdraw(s)).toBe(true);
    }
  });

  it('is refused after a decision or once ended', () => {
    for (const s of [
      'APPROVED',
      'REJECTED',
      'RESULT_ISSUED',
      'COMPLETED',
      'WITHDRAWN',
      'IDENTITY_REJECTED',
      'EXPIRED',
    ] as const) {
      expect(canWithdraw(s)).toBe(false);
    }
  });
});

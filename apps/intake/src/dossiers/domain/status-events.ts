import type { Payload } from '@hoso/contracts';
import type { DossierStatus } from './status';

/** Topics whose events move (or are recorded on) the dossier's status. */
export type StatusTopic =
  | 'identity.verified.v1'
  | 'identity.rejected.v1'
  | 'payment.requested.v1'
  | 'payment.waived.v1'
  | 'payment.completed.v1'
  | 'payment.failed.v1'
  | 'payment.refunded.v1'
  | 'case.received.v1'
  | 'case.status-changed.v1'
  | 'case.status-changed.v2'
  | 'case.completed.v1';

export interface StatusEffect {
  /** The status the event puts the dossier in; null for events recorded in the history only (a refund). */
  status: DossierStatus | null;
  reason: string | null;
  /** Set when the case moved to another agency: its officers may read the dossier from now on. */
  handlingAgencyCode?: string;
}

/** What one event means for the dossier's status (pure mapping; whether it applies is `decideStatusMove`). */
export function statusEffectOf<T extends StatusTopic>(topic: T, payload: Payload<T>): StatusEffect {
  switch (topic) {
    case 'identity.verified.v1':
      return { status: 'IDENTITY_VERIFIED', reason: null };
    case 'identity.rejected.v1': {
      const p = payload as Payload<'identity.rejected.v1'>;
      return { status: 'IDENTITY_REJECTED', reason: `${p.reason}: ${p.detail}` };
    }
    case 'payment.requested.v1': {
      const p = payload as Payload<'payment.requested.v1'>;
      return { status: 'AWAITING_PAYMENT', reason: `${p.amountVnd} VND due by ${p.expiresAt}` };
    }
    case 'payment.waived.v1':
      return { status: 'WAIVED', reason: (payload as Payload<'payment.waived.v1'>).reason };
    case 'payment.completed.v1': {
      const p = payload as Payload<'payment.completed.v1'>;
      return { status: 'PAID', reason: `${p.amountVnd} VND by ${p.method}` };
    }
    case 'payment.failed.v1': {
      const p = payload as Payload<'payment.failed.v1'>;
      return { status: p.final ? 'EXPIRED' : 'PAYMENT_FAILED', reason: `${p.reason}: ${p.detail}` };
    }
    case 'payment.refunded.v1': {
      const p = payload as Payload<'payment.refunded.v1'>;
      return { status: null, reason: `refunded ${p.amountVnd} VND: ${p.reason}` };
    }
    case 'case.received.v1':
      return { status: 'RECEIVED', reason: `due ${(payload as Payload<'case.received.v1'>).dueAt}` };
    // v1 (read for the events already in the log; it also repeated reception and completion) and v2 alike.
    case 'case.status-changed.v1':
    case 'case.status-changed.v2': {
      const p = payload as Payload<'case.status-changed.v1'> | Payload<'case.status-changed.v2'>;
      return {
        status: p.to,
        reason: p.reason,
        ...(p.to === 'TRANSFERRED' && p.toAgencyCode ? { handlingAgencyCode: p.toAgencyCode } : {}),
      };
    }
    case 'case.completed.v1': {
      const p = payload as Payload<'case.completed.v1'>;
      return { status: 'COMPLETED', reason: `${p.outcome}${p.onTime ? ', on time' : ', overdue'}` };
    }
  }
  // Unreachable for the declared topics; keeps the compiler honest about exhaustiveness.
  return { status: null, reason: null };
}

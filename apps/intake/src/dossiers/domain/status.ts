/**
 * The dossier's status as the citizen sees it, projected from every service's events (DESIGN.md). EXPIRED is
 * "ended unpaid" (a final payment failure); PAYMENT_FAILED is a failed attempt the citizen may retry.
 */
export const DOSSIER_STATUSES = [
  'SUBMITTED',
  'IDENTITY_VERIFIED',
  'IDENTITY_REJECTED',
  'AWAITING_PAYMENT',
  'PAYMENT_FAILED',
  'EXPIRED',
  'PAID',
  'WAIVED',
  'RECEIVED',
  'IN_PROCESS',
  'SUPPLEMENT_REQUESTED',
  'TRANSFERRED',
  'APPROVED',
  'REJECTED',
  'RESULT_ISSUED',
  'COMPLETED',
  'WITHDRAWN',
] as const;
export type DossierStatus = (typeof DOSSIER_STATUSES)[number];

/** Statuses that end the dossier: nothing moves it any more. */
export const TERMINAL_STATUSES: ReadonlySet<DossierStatus> = new Set<DossierStatus>([
  'IDENTITY_REJECTED',
  'EXPIRED',
  'COMPLETED',
  'WITHDRAWN',
]);

/**
 * Phase of each non-terminal status. The flow only moves forward across phases; within one phase a status may
 * move back and forth (IN_PROCESS ⇄ SUPPLEMENT_REQUESTED, AWAITING_PAYMENT ⇄ PAYMENT_FAILED), ordered by the
 * time the event happened, because events of different topics reach us in any order.
 */
const PHASE: Record<Exclude<DossierStatus, 'IDENTITY_REJECTED' | 'EXPIRED' | 'COMPLETED' | 'WITHDRAWN'>, number> = {
  SUBMITTED: 0,
  IDENTITY_VERIFIED: 1,
  AWAITING_PAYMENT: 2,
  PAYMENT_FAILED: 2,
  PAID: 3,
  WAIVED: 3,
  RECEIVED: 4,
  IN_PROCESS: 4,
  SUPPLEMENT_REQUESTED: 4,
  TRANSFERRED: 4,
  APPROVED: 5,
  REJECTED: 5,
  RESULT_ISSUED: 6,
};

export function isTerminal(status: DossierStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

function phaseOf(status: DossierStatus): number {
  return isTerminal(status) ? Number.POSITIVE_INFINITY : PHASE[status as keyof typeof PHASE];
}

export interface CurrentStatus {
  status: DossierStatus;
  /** When the event that set the current status happened. */
  at: Date;
}

export type StatusDecision = { move: true } | { move: false; reason: string };

/**
 * Whether an event that would put the dossier in `next` (at `at`) moves its current status. Every event is
 * kept in the history either way; this only decides the current status.
 *
 * - a terminal status stays terminal;
 * - a terminal event ends any non-terminal dossier (identity rejected, ended unpaid, completed, withdrawn);
 * - otherwise later phases win; within one phase the more recent event wins; an older phase never comes back
 *   (PAID never returns to AWAITING_PAYMENT when payment.requested arrives after payment.completed).
 */
export function decideStatusMove(current: CurrentStatus, next: DossierStatus, at: Date): StatusDecision {
  if (isTerminal(current.status)) return { move: false, reason: `${current.status} is final` };
  if (isTerminal(next)) return { move: true };
  const from = phaseOf(current.status);
  const to = phaseOf(next);
  if (to > from) return { move: true };
  if (to < from) return { move: false, reason: `${next} comes before ${current.status}` };
  if (next === current.status) return { move: false, reason: `already ${next}` };
  if (at.getTime() >= current.at.getTime()) return { move: true };
  return { move: false, reason: `older than the ${current.status} event` };
}

/** Statuses from which the applicant may still withdraw: before any decision, and not ended. */
export function canWithdraw(status: DossierStatus): boolean {
  if (isTerminal(status)) return false;
  return phaseOf(status) < phaseOf('APPROVED');
}

export function isDossierStatus(s: string): s is DossierStatus {
  return (DOSSIER_STATUSES as readonly string[]).includes(s);
}

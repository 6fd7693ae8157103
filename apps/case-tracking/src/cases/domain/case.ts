/**
 * The case state machine (pure rules). Every move is checked here; the handlers only load, ask, and save.
 *
 * RECEIVED → IN_PROCESS ⇄ SUPPLEMENT_REQUESTED → APPROVED | REJECTED → RESULT_ISSUED → COMPLETED;
 * WITHDRAWN by the citizen before a decision; TRANSFERRED to another agency (liên thông), where an officer
 * claims it again and processing continues.
 */
import { caseStatuses, type CaseStatus } from '@hoso/contracts';

/** The statuses are the contract's: what case.status-changed.v1 carries is exactly what the machine knows. */
export const CASE_STATUSES = caseStatuses;
export type { CaseStatus };

export type CaseAction =
  | { kind: 'claim'; officer: string }
  | { kind: 'request-supplement'; officer: string }
  | { kind: 'supply'; citizenPersonalId: string }
  | { kind: 'decide'; officer: string; outcome: 'APPROVED' | 'REJECTED' }
  | { kind: 'issue-result' }
  | { kind: 'complete' }
  | { kind: 'transfer'; officer: string; toAgencyCode: string }
  | { kind: 'withdraw' };

export interface CaseFacts {
  status: CaseStatus;
  agencyCode: string;
  assignee: string | null;
  applicantPersonalId: string;
}

export type Decision =
  | { ok: true; to: CaseStatus; assignee: string | null; agencyCode: string }
  | { ok: false; reason: 'not-allowed' | 'not-assignee' | 'not-applicant' | 'same-agency'; message: string };

export const OPEN_STATUSES: readonly CaseStatus[] = [
  'RECEIVED',
  'TRANSFERRED',
  'IN_PROCESS',
  'SUPPLEMENT_REQUESTED',
  'APPROVED',
  'REJECTED',
  'RESULT_ISSUED',
];
/** Open and not waiting for the citizen: the SLA clock runs (a supplement request pauses it). */
export const CLOCK_RUNNING: readonly CaseStatus[] = [
  'RECEIVED',
  'TRANSFERRED',
  'IN_PROCESS',
  'APPROVED',
  'REJECTED',
  'RESULT_ISSUED',
];
/** Before a decision: the citizen may still withdraw. */
const UNDECIDED: readonly CaseStatus[] = ['RECEIVED', 'TRANSFERRED', 'IN_PROCESS', 'SUPPLEMENT_REQUESTED'];

const refuse = (status: CaseStatus, action: CaseAction['kind'], why: string): Decision => ({
  ok: false,
  reason: 'not-allowed',
  message: `cannot ${action.replace('-', ' ')} a case that is ${status}: ${why}`,
});

export function decide(c: CaseFacts, a: CaseAction): Decision {
  const keep = { assignee: c.assignee, agencyCode: c.agencyCode };
  switch (a.kind) {
    case 'claim':
      if (c.status !== 'RECEIVED' && c.status !== 'TRANSFERRED')
        return refuse(c.status, a.kind, 'only received or transferred cases can be claimed');
      return { ok: true, to: 'IN_PROCESS', assignee: a.officer, agencyCode: c.agencyCode };
    case 'request-supplement':
      if (c.status !== 'IN_PROCESS') return refuse(c.status, a.kind, 'the case must be in process');
      if (c.assignee !== a.officer) return notAssignee();
      return { ok: true, to: 'SUPPLEMENT_REQUESTED', ...keep };
    case 'supply':
      if (c.status !== 'SUPPLEMENT_REQUESTED') return refuse(c.status, a.kind, 'no supplement was requested');
      if (c.applicantPersonalId !== a.citizenPersonalId)
        return { ok: false, reason: 'not-applicant', message: 'only the applicant can supply documents' };
      return { ok: true, to: 'IN_PROCESS', ...keep };
    case 'decide':
      if (c.status !== 'IN_PROCESS') return refuse(c.status, a.kind, 'the case must be in process');
      if (c.assignee !== a.officer) return notAssignee();
      return { ok: true, to: a.outcome, ...keep };
    case 'issue-result':
      if (c.status !== 'APPROVED' && c.status !== 'REJECTED')
        return refuse(c.status, a.kind, 'a decision must be taken first');
      return { ok: true, to: 'RESULT_ISSUED', ...keep };
    case 'complete':
      if (c.status !== 'RESULT_ISSUED') return refuse(c.status, a.kind, 'the result must be issued first');
      return { ok: true, to: 'COMPLETED', ...keep };
    case 'transfer':
      if (c.status !== 'RECEIVED' && c.status !== 'TRANSFERRED' && c.status !== 'IN_PROCESS')
        return refuse(c.status, a.kind, 'only undecided cases that are not waiting for the citizen can be transferred');
      if (c.status === 'IN_PROCESS' && c.assignee !== a.officer) return notAssignee();
      if (a.toAgencyCode === c.agencyCode)
        return { ok: false, reason: 'same-agency', message: `the case is already at ${c.agencyCode}` };
      return { ok: true, to: 'TRANSFERRED', assignee: null, agencyCode: a.toAgencyCode };
    case 'withdraw':
      if (!UNDECIDED.includes(c.status)) return refuse(c.status, a.kind, 'a decision has already been taken');
      return { ok: true, to: 'WITHDRAWN', ...keep };
  }
}

function notAssignee(): Decision {
  return { ok: false, reason: 'not-assignee', message: 'the case is claimed by another officer (claim it first)' };
}

/** Moves that stop or restart the SLA clock. */
export function clockEffect(from: CaseStatus, to: CaseStatus): 'pause' | 'resume' | 'stop' | null {
  if (to === 'SUPPLEMENT_REQUESTED') return 'pause';
  if (from === 'SUPPLEMENT_REQUESTED' && to === 'IN_PROCESS') return 'resume';
  if (to === 'COMPLETED' || to === 'WITHDRAWN') return 'stop';
  return null;
}

/** Fully online (toàn trình): submitted online for a FULL-level service and paid online or exempt. */
export function isFullyOnline(d: { channel: string; serviceLevel: string; paidOnline: boolean | null }): boolean {
  return d.channel === 'ONLINE' && d.serviceLevel === 'FULL' && d.paidOnline === true;
}

/** What the dossier needs before a case opens, given what has arrived so far (any order). */
export type DossierGate =
  { open: true } | { open: false; ended: string | null; waitingFor: ('submission' | 'identity' | 'payment')[] };

export function gate(d: {
  submitted: boolean;
  identity: 'VERIFIED' | 'REJECTED' | null;
  payment: 'COMPLETED' | 'WAIVED' | 'FAILED' | null;
  endedReason: string | null;
  hasCase: boolean;
}): DossierGate {
  if (d.endedReason) return { open: false, ended: d.endedReason, waitingFor: [] };
  const waitingFor: ('submission' | 'identity' | 'payment')[] = [];
  if (!d.submitted) waitingFor.push('submission');
  if (d.identity !== 'VERIFIED') waitingFor.push('identity');
  if (d.payment !== 'COMPLETED' && d.payment !== 'WAIVED') waitingFor.push('payment');
  if (d.hasCase || waitingFor.length) return { open: false, ended: null, waitingFor };
  return { open: true };
}

import { CASE_STATUSES, clockEffect, decide, gate, isFullyOnline, type CaseAction, type CaseStatus } from './case';

const facts = (status: CaseStatus, assignee: string | null = 'o1') => ({
  status,
  agencyCode: 'P01',
  assignee,
  applicantPersonalId: '001099000123',
});

const actions: Record<CaseAction['kind'], CaseAction> = {
  claim: { kind: 'claim', officer: 'o1' },
  'request-supplement': { kind: 'request-supplement', officer: 'o1' },
  supply: { kind: 'supply', citizenPersonalId: '001099000123' },
  decide: { kind: 'decide', officer: 'o1', outcome: 'APPROVED' },
  'issue-result': { kind: 'issue-result' },
  complete: { kind: 'complete' },
  transfer: { kind: 'transfer', officer: 'o1', toAgencyCode: 'BTP' },
  withdraw: { kind: 'withdraw' },
};

/** Every allowed (status, action) → target; everything else must be refused. */
const allowed: Partial<Record<CaseStatus, Partial<Record<CaseAction['kind'], CaseStatus>>>> = {
  RECEIVED: { claim: 'IN_PROCESS', transfer: 'TRANSFERRED', withdraw: 'WITHDRAWN' },
  TRANSFERRED: { claim: 'IN_PROCESS', transfer: 'TRANSFERRED', withdraw: 'WITHDRAWN' },
  IN_PROCESS: {
    'request-supplement': 'SUPPLEMENT_REQUESTED',
    decide: 'APPROVED',
    transfer: 'TRANSFERRED',
    withdraw: 'WITHDRAWN',
  },
  SUPPLEMENT_REQUESTED: { supply: 'IN_PROCESS', withdraw: 'WITHDRAWN' },
  APPROVED: { 'issue-result': 'RESULT_ISSUED' },
  REJECTED: { 'issue-result': 'RESULT_ISSUED' },
  RESULT_ISSUED: { complete: 'COMPLETED' },
};

describe('case state machine', () => {
  for (const status of CASE_STATUSES) {
    for (const [kind, action] of Object.entries(actions)) {
      const to = allowed[status]?.[kind as CaseAction['kind']];
      it(`${status} + ${kind} → ${to ?? 'refused'}`, () => {
        const d = decide(facts(status), action);
        if (to) expect(d).toMatchObject({ ok: true, to });
        else {
          expect(d).toMatchObject({ ok: false, reason: 'not-allowed' });
          expect(d.ok ? '' : d.message).toContain(status);
        }
      });
    }
  }

  it('a REJECTED decision is a decision too', () => {
    expect(decide(facts('IN_PROCESS'), { kind: 'decide', officer: 'o1', outcome: 'REJECTED' })).toMatchObject({
      ok: true,
      to: 'REJECTED',
    });
  });

  it('only the assignee may request supplements, decide or transfer an in-process case', () => {
    for (const a of [
      { kind: 'request-supplement', officer: 'o2' },
      { kind: 'decide', officer: 'o2', outcome: 'APPROVED' },
      { kind: 'transfer', officer: 'o2', toAgencyCode: 'BTP' },
    ] as CaseAction[]) {
      expect(decide(facts('IN_PROCESS'), a)).toMatchObject({ ok: false, reason: 'not-assignee' });
    }
  });

  it('only the applicant may supply; a transfer to the same agency is refused; a transfer frees the case', () => {
    expect(decide(facts('SUPPLEMENT_REQUESTED'), { kind: 'supply', citizenPersonalId: '079099000001' })).toMatchObject({
      ok: false,
      reason: 'not-applicant',
    });
    expect(decide(facts('RECEIVED'), { kind: 'transfer', officer: 'o1', toAgencyCode: 'P01' })).toMatchObject({
      ok: false,
      reason: 'same-agency',
    });
    expect(decide(facts('IN_PROCESS'), actions.transfer)).toEqual({
      ok: true,
      to: 'TRANSFERRED',
      assignee: null,
      agencyCode: 'BTP',
    });
    expect(decide(facts('RECEIVED', null), actions.claim)).toMatchObject({ ok: true, assignee: 'o1' });
  });

  it('pauses, resumes and stops the clock on the right moves', () => {
    expect(clockEffect('IN_PROCESS', 'SUPPLEMENT_REQUESTED')).toBe('pause');
    expect(clockEffect('SUPPLEMENT_REQUESTED', 'IN_PROCESS')).toBe('resume');
    expect(clockEffect('RESULT_ISSUED', 'COMPLETED')).toBe('stop');
    expect(clockEffect('SUPPLEMENT_REQUESTED', 'WITHDRAWN')).toBe('stop');
    expect(clockEffect('RECEIVED', 'IN_PROCESS')).toBeNull();
  });

  it('opens a case only when submission, identity and payment are all in, whatever the order', () => {
    const base = {
      submitted: true,
      identity: 'VERIFIED',
      payment: 'WAIVED',
      endedReason: null,
      hasCase: false,
    } as const;
    expect(gate(base)).toEqual({ open: true });
    expect(gate({ ...base, payment: 'COMPLETED' })).toEqual({ open: true });
    expect(gate({ ...base, submitted: false })).toMatchObject({ open: false, waitingFor: ['submission'] });
    expect(gate({ ...base, identity: null, payment: null })).toMatchObject({ waitingFor: ['identity', 'payment'] });
    expect(gate({ ...base, hasCase: true })).toMatchObject({ open: false });
    expect(gate({ ...base, endedReason: 'IDENTITY_REJECTED' })).toMatchObject({
      open: false,
      ended: 'IDENTITY_REJECTED',
    });
  });

  it('fully online means online FULL service paid online or exempt', () => {
    expect(isFullyOnline({ channel: 'ONLINE', serviceLevel: 'FULL', paidOnline: true })).toBe(true);
    expect(isFullyOnline({ channel: 'ONLINE', serviceLevel: 'PARTIAL', paidOnline: true })).toBe(false);
    expect(isFullyOnline({ channel: 'COUNTER', serviceLevel: 'FULL', paidOnline: true })).toBe(false);
    expect(isFullyOnline({ channel: 'ONLINE', serviceLevel: 'FULL', paidOnline: false })).toBe(false);
  });
});

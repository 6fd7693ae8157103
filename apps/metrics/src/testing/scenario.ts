import { v7 as uuidv7 } from 'uuid';
import { samplePayloads, type Payload, type Topic } from '@hoso/contracts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const sha = (c: string) => c.repeat(64);

export interface ScriptedEvent<T extends Topic = Topic> {
  topic: T;
  payload: Payload<T>;
}

interface DossierSpec {
  province: '01' | '79';
  channel: 'ONLINE' | 'COUNTER';
  feeVnd: number;
  attachments: number;
}

const dims = {
  '01': { agencyCode: 'P01', procedureCode: 'PROC-A', serviceLevel: 'FULL' },
  '79': { agencyCode: 'P79', procedureCode: 'PROC-B', serviceLevel: 'PARTIAL' },
} as const;

/**
 * Six dossiers across two provinces/agencies/procedures/levels, all inside the current hour (so inside today
 * and the current month in Vietnam time):
 * D1 01 online, paid online, completed on time with a digital result, 1 attachment, rated 5;
 * D2 01 online, waived, completed late with a digital result, no attachment, rated 3;
 * D3 79 counter, paid at the counter, completed on time without a digital result (case events arrive first);
 * D4 79 online, identity rejected; D5 79 online, zero fee waived, received, past due (overdue);
 * D6 01 online, paid online, received, due in five days (open, not overdue).
 */
export function scenario(now: Date): { ids: string[]; events: ScriptedEvent[] } {
  const t = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const events: ScriptedEvent[] = [];
  const push = <T extends Topic>(topic: T, payload: Payload<T>) => events.push({ topic, payload });
  const specs: DossierSpec[] = [
    { province: '01', channel: 'ONLINE', feeVnd: 8000, attachments: 1 },
    { province: '01', channel: 'ONLINE', feeVnd: 8000, attachments: 0 },
    { province: '79', channel: 'COUNTER', feeVnd: 20000, attachments: 1 },
    { province: '79', channel: 'ONLINE', feeVnd: 20000, attachments: 1 },
    { province: '79', channel: 'ONLINE', feeVnd: 0, attachments: 0 },
    { province: '01', channel: 'ONLINE', feeVnd: 8000, attachments: 2 },
  ];
  const ids = specs.map(() => uuidv7());
  const base = samplePayloads['dossier.submitted.v1'];
  const submitted = specs.map((s, i) => ({
    ...base,
    dossierId: ids[i] as string,
    receiptCode: `RC-${i + 1}-${(ids[i] as string).slice(-6)}`,
    ...dims[s.province],
    provinceCode: s.province,
    channel: s.channel,
    feeVnd: s.feeVnd,
    attachments: Array.from({ length: s.attachments }, (_, k) => ({
      id: `att-${i}-${k}`,
      fileName: 'a.pdf',
      contentType: 'application/pdf',
      sizeBytes: 1000,
      sha256: sha('a'),
    })),
    submittedAt: t(50),
  }));
  const caseOf = (i: number) => {
    const s = submitted[i] as (typeof submitted)[number];
    return {
      dossierId: s.dossierId,
      caseId: uuidv7(),
      agencyCode: s.agencyCode,
      procedureCode: s.procedureCode,
      provinceCode: s.provinceCode,
    };
  };
  const received = (i: number, dueAt: string) => {
    const c = caseOf(i);
    push('case.received.v1', {
      ...c,
      receiptCode: (submitted[i] as (typeof submitted)[number]).receiptCode,
      receivedAt: t(40),
      dueAt,
      processingWorkingDays: 3,
    });
    push('case.status-changed.v2', {
      dossierId: c.dossierId,
      caseId: c.caseId,
      agencyCode: c.agencyCode,
      from: 'RECEIVED',
      to: 'IN_PROCESS',
      actor: { kind: 'officer', id: 'o1' },
      reason: null,
      changedAt: t(35),
      dueAt,
    });
    return c;
  };
  const completed = (c: ReturnType<typeof caseOf>, onTime: boolean, digital: boolean) => {
    push('case.completed.v1', {
      ...c,
      outcome: 'APPROVED',
      receivedAt: t(40),
      dueAt: new Date(now.getTime() + DAY).toISOString(),
      completedAt: t(20),
      onTime,
      fullyOnline: digital,
      resultDocument: digital ? { id: `res-${c.dossierId}`, sha256: sha('b') } : null,
    });
  };
  const rated = (c: ReturnType<typeof caseOf>, score: number) => {
    push('case.rated.v1', { ...c, score, comment: null, ratedAt: t(10) });
  };
  const paid = (i: number, online: boolean) => {
    const dossierId = ids[i] as string;
    const paymentId = uuidv7();
    const amountVnd = (specs[i] as DossierSpec).feeVnd;
    if (online)
      push('payment.requested.v1', { dossierId, paymentId, amountVnd, expiresAt: t(-600), requestedAt: t(48) });
    push('payment.completed.v1', {
      dossierId,
      paymentId,
      amountVnd,
      method: online ? 'EWALLET' : 'COUNTER',
      online,
      gatewayReference: `PGW-${i}`,
      completedAt: t(45),
    });
  };
  const verified = (i: number) =>
    push('identity.verified.v1', {
      dossierId: ids[i] as string,
      personalId: base.applicant.personalId,
      vneidLevel: 2,
      verifiedAt: t(49),
    });
  const future = new Date(now.getTime() + 5 * DAY).toISOString();

  // D3's case events come before its submission: the projection must not care.
  verified(2);
  paid(2, false);
  const c3 = received(2, future);
  completed(c3, true, false);
  for (const s of submitted) push('dossier.submitted.v1', s);
  // D1
  verified(0);
  paid(0, true);
  const c1 = received(0, future);
  completed(c1, true, true);
  rated(c1, 5);
  // D2
  verified(1);
  push('payment.waived.v1', {
    dossierId: ids[1] as string,
    reason: 'ONLINE_EXEMPTION',
    baseAmountVnd: 8000,
    waivedAt: t(48),
  });
  const c2 = received(1, t(30));
  completed(c2, false, true);
  rated(c2, 3);
  // D4
  push('identity.rejected.v1', {
    dossierId: ids[3] as string,
    personalId: base.applicant.personalId,
    reason: 'NAME_MISMATCH',
    detail: 'name differs from the registry',
    rejectedAt: t(49),
  });
  // D5: due an hour ago, still in process.
  verified(4);
  push('payment.waived.v1', { dossierId: ids[4] as string, reason: 'ZERO_FEE', baseAmountVnd: 0, waivedAt: t(48) });
  received(4, new Date(now.getTime() - HOUR).toISOString());
  // D6
  verified(5);
  paid(5, true);
  received(5, future);
  return { ids, events };
}

/** Hand-computed expectations of the scenario, per group (province 01 = agency P01 = PROC-A = FULL; 79 likewise). */
export const expected = {
  national: {
    counts: {
      submitted: 6,
      submittedOnline: 5,
      identityRejected: 1,
      withFee: 3,
      paidOnline: 2,
      waived: 2,
      endToEnd: 2,
      received: 5,
      receivedCompleted: 3,
      completed: 3,
      completedOnTime: 2,
      digitised: 1,
      rated: 2,
      satisfied: 1,
      overdue: 1,
    },
    rates: {
      completion: 3 / 5,
      onTime: 2 / 3,
      endToEnd: 2 / 6,
      onlineSubmission: 5 / 6,
      onlinePayment: 2 / 3,
      digitisation: 1 / 3,
      satisfaction: 1 / 2,
    },
  },
  g01: {
    counts: {
      submitted: 3,
      submittedOnline: 3,
      identityRejected: 0,
      withFee: 2,
      paidOnline: 2,
      waived: 1,
      endToEnd: 2,
      received: 3,
      receivedCompleted: 2,
      completed: 2,
      completedOnTime: 1,
      digitised: 1,
      rated: 2,
      satisfied: 1,
      overdue: 0,
    },
    rates: {
      completion: 2 / 3,
      onTime: 1 / 2,
      endToEnd: 2 / 3,
      onlineSubmission: 1,
      onlinePayment: 1,
      digitisation: 1 / 2,
      satisfaction: 1 / 2,
    },
  },
  g79: {
    counts: {
      submitted: 3,
      submittedOnline: 2,
      identityRejected: 1,
      withFee: 1,
      paidOnline: 0,
      waived: 1,
      endToEnd: 0,
      received: 2,
      receivedCompleted: 1,
      completed: 1,
      completedOnTime: 1,
      digitised: 0,
      rated: 0,
      satisfied: 0,
      overdue: 1,
    },
    rates: {
      completion: 1 / 2,
      onTime: 1,
      endToEnd: 0,
      onlineSubmission: 2 / 3,
      onlinePayment: 0,
      digitisation: 0,
      satisfaction: null,
    },
  },
};

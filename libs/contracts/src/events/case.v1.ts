import { z } from 'zod';
import { actor, agencyCode, caseStatus, isoDateTime, procedureCode, provinceCode } from './common';

export const CaseReceivedV1 = z.looseObject({
  dossierId: z.uuid(),
  caseId: z.uuid(),
  receiptCode: z.string().min(4).max(64),
  agencyCode,
  procedureCode,
  provinceCode,
  receivedAt: isoDateTime,
  dueAt: isoDateTime,
  processingWorkingDays: z.number().int().nonnegative(),
});
export type CaseReceivedV1 = z.output<typeof CaseReceivedV1>;

export const CaseStatusChangedV1 = z.looseObject({
  dossierId: z.uuid(),
  caseId: z.uuid(),
  agencyCode,
  from: caseStatus.nullable(),
  to: caseStatus,
  actor,
  reason: z.string().max(2000).nullable(),
  changedAt: isoDateTime,
  /** Due date after this move (moves past with a paused clock: supplement, transfer). */
  dueAt: isoDateTime.nullable(),
  /** Set when `to` is TRANSFERRED: the agency that takes the case over. */
  toAgencyCode: agencyCode.optional(),
});
export type CaseStatusChangedV1 = z.output<typeof CaseStatusChangedV1>;

export const CaseCompletedV1 = z.looseObject({
  dossierId: z.uuid(),
  caseId: z.uuid(),
  agencyCode,
  procedureCode,
  provinceCode,
  outcome: z.enum(['APPROVED', 'REJECTED']),
  receivedAt: isoDateTime,
  dueAt: isoDateTime,
  completedAt: isoDateTime,
  onTime: z.boolean(),
  /** Submission, payment and result all online (toàn trình). */
  fullyOnline: z.boolean(),
  resultDocument: z
    .looseObject({
      id: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    })
    .nullable(),
});
export type CaseCompletedV1 = z.output<typeof CaseCompletedV1>;

export const CaseRatedV1 = z.looseObject({
  dossierId: z.uuid(),
  caseId: z.uuid(),
  agencyCode,
  procedureCode,
  provinceCode,
  /** 1 (very dissatisfied) … 5 (very satisfied); ≥ 4 counts as satisfied. */
  score: z.number().int().min(1).max(5),
  comment: z.string().max(2000).nullable(),
  ratedAt: isoDateTime,
});
export type CaseRatedV1 = z.output<typeof CaseRatedV1>;

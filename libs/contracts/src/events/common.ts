import { z } from 'zod';

/** 12-digit personal identification number (số định danh cá nhân): province(3) + century/gender(1) + year(2) + serial(6). */
export const personalId = z.string().regex(/^\d{12}$/, 'personal ID must be 12 digits');

export const isoDateTime = z.iso.datetime({ offset: true });
export const isoDate = z.iso.date();

export const vnd = z.number().int().nonnegative();

export const agencyCode = z.string().min(2).max(64);
export const procedureCode = z.string().min(2).max(64);
export const provinceCode = z.string().regex(/^\d{2,3}$/, 'province code must be 2-3 digits');

export const caseStatuses = [
  'RECEIVED',
  'IN_PROCESS',
  'SUPPLEMENT_REQUESTED',
  'APPROVED',
  'REJECTED',
  'RESULT_ISSUED',
  'COMPLETED',
  'WITHDRAWN',
  'TRANSFERRED',
] as const;
export const caseStatus = z.enum(caseStatuses);
export type CaseStatus = z.output<typeof caseStatus>;

export const actor = z.looseObject({
  kind: z.enum(['citizen', 'officer', 'operator', 'system']),
  id: z.string().min(1),
});

export const channel = z.enum(['ONLINE', 'COUNTER']);
export const serviceLevel = z.enum(['FULL', 'PARTIAL']);

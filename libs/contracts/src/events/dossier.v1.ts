import { z } from 'zod';
import {
  agencyCode,
  channel,
  isoDate,
  isoDateTime,
  personalId,
  procedureCode,
  provinceCode,
  serviceLevel,
  vnd,
} from './common';

export const DossierSubmittedV1 = z.looseObject({
  dossierId: z.uuid(),
  receiptCode: z.string().min(4).max(64),
  procedureCode,
  agencyCode,
  provinceCode,
  channel,
  serviceLevel,
  applicant: z.looseObject({
    personalId,
    fullName: z.string().min(1).max(200),
    birthDate: isoDate,
  }),
  /** Identity checks need this VNeID level (0 = none required). */
  requiredVneidLevel: z.number().int().min(0).max(2),
  feeVnd: vnd,
  processingWorkingDays: z.number().int().nonnegative(),
  form: z.record(z.string(), z.unknown()),
  /** Form fields whose value came from the population registry (signed prefill), of `formFieldCount`. */
  prefilledFields: z.number().int().nonnegative().optional(),
  formFieldCount: z.number().int().nonnegative().optional(),
  attachments: z.array(
    z.looseObject({
      id: z.string().min(1),
      fileName: z.string().min(1),
      contentType: z.string().min(1),
      sizeBytes: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
  submittedAt: isoDateTime,
});
export type DossierSubmittedV1 = z.output<typeof DossierSubmittedV1>;

export const DossierWithdrawnV1 = z.looseObject({
  dossierId: z.uuid(),
  receiptCode: z.string().min(4).max(64),
  agencyCode,
  reason: z.string().max(1000),
  withdrawnAt: isoDateTime,
});
export type DossierWithdrawnV1 = z.output<typeof DossierWithdrawnV1>;

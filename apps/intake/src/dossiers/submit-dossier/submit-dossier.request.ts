import { z } from 'zod';

const personalId = z.string().regex(/^\d{12}$/, 'must be a 12-digit personal ID');

export const SubmitDossierBody = z.strictObject({
  procedureCode: z.string().trim().min(2).max(64),
  agencyCode: z.string().trim().min(2).max(64),
  form: z.record(z.string(), z.unknown()),
  attachmentIds: z
    .array(z.uuid())
    .max(30)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an attachment')
    .default([]),
  prefillToken: z.string().min(16).max(8000).optional(),
  /** Counter submissions only: the person the officer submits for. */
  applicant: z
    .strictObject({
      personalId,
      fullName: z.string().trim().min(1).max(200),
      birthDate: z.iso.date(),
    })
    .optional(),
});
export type SubmitDossierBody = z.output<typeof SubmitDossierBody>;

export const IdempotencyKey = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[\x21-\x7e]{8,100}$/, 'the Idempotency-Key header must be 8 to 100 visible ASCII characters');

export interface SubmitAnswer {
  id: string;
  receiptCode: string;
  status: 'SUBMITTED';
}

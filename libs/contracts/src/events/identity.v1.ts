import { z } from 'zod';
import { isoDateTime, personalId } from './common';

export const IdentityVerifiedV1 = z.looseObject({
  dossierId: z.uuid(),
  personalId,
  vneidLevel: z.number().int().min(0).max(2),
  verifiedAt: isoDateTime,
});
export type IdentityVerifiedV1 = z.output<typeof IdentityVerifiedV1>;

export const identityRejectionReasons = [
  'NOT_FOUND',
  'NAME_MISMATCH',
  'BIRTH_DATE_MISMATCH',
  'DECEASED',
  'VNEID_LEVEL_TOO_LOW',
] as const;

export const IdentityRejectedV1 = z.looseObject({
  dossierId: z.uuid(),
  personalId,
  reason: z.enum(identityRejectionReasons),
  detail: z.string().max(500),
  rejectedAt: isoDateTime,
});
export type IdentityRejectedV1 = z.output<typeof IdentityRejectedV1>;

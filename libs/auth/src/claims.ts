import { z } from 'zod';

export const roles = ['citizen', 'officer', 'operator'] as const;
export type Role = (typeof roles)[number];

/** Who issues and who accepts hoso access tokens. */
export const TOKEN_ISSUER = 'hoso-identity';
export const TOKEN_AUDIENCE = 'hoso';

/** The one algorithm identity signs with (Ed25519); verifiers accept no other. */
export const TOKEN_ALGORITHM = 'EdDSA';

/**
 * The `typ` header of each kind of token identity signs (RFC 8725 §3.11 explicit typing): a token of one kind is
 * never accepted as another, even where audiences would overlap. Access tokens use RFC 9068's `at+jwt`.
 */
export const TOKEN_TYPES = {
  access: 'at+jwt',
  /** E-form prefill grants (audience PREFILL_TOKEN_AUDIENCE), verified by intake. */
  prefill: 'prefill+jwt',
} as const;

/** Who accepts prefill grants: intake, when a citizen submits values the registry vouched for. */
export const PREFILL_TOKEN_AUDIENCE = 'hoso-prefill';

/**
 * Claims of a hoso access token beyond iss/aud/exp/iat. A citizen token carries the personal ID
 * (`pid`) that scopes what they may read; an officer token carries the one agency they work for.
 */
export const accessClaims = z
  .looseObject({
    sub: z.string().min(1),
    role: z.enum(roles),
    name: z.string().optional(),
    pid: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    agency: z.string().min(1).optional(),
    vneid: z.number().int().min(0).max(2).optional(),
  })
  .refine((c) => c.role !== 'citizen' || c.pid, { message: 'a citizen token must carry pid' })
  .refine((c) => c.role !== 'officer' || c.agency, { message: 'an officer token must carry agency' });

export type AccessClaims = z.output<typeof accessClaims>;

/** The authenticated caller, as handlers see it. */
export interface AuthUser {
  sub: string;
  role: Role;
  name?: string;
  /** Citizens only. */
  personalId?: string;
  /** Officers only. */
  agencyCode?: string;
  vneidLevel?: number;
}

export function toAuthUser(c: AccessClaims): AuthUser {
  return {
    sub: c.sub,
    role: c.role,
    ...(c.name ? { name: c.name } : {}),
    ...(c.pid ? { personalId: c.pid } : {}),
    ...(c.agency ? { agencyCode: c.agency } : {}),
    ...(c.vneid !== undefined ? { vneidLevel: c.vneid } : {}),
  };
}

/** Scoping rule for a dossier: its applicant, an officer of its agency, or an operator. */
export function canReadDossier(user: AuthUser, dossier: { applicantPersonalId: string; agencyCode: string }): boolean {
  switch (user.role) {
    case 'citizen':
      return user.personalId === dossier.applicantPersonalId;
    case 'officer':
      return user.agencyCode === dossier.agencyCode;
    case 'operator':
      return true;
  }
}

/** Scoping rule for an agency's data (queues, cases): its own officers and operators. */
export function canReadAgency(user: AuthUser, agencyCode: string): boolean {
  return user.role === 'operator' || (user.role === 'officer' && user.agencyCode === agencyCode);
}

import { api, ApiError } from './client';

/** Identity's staff endpoints through the gateway. */
const IDENTITY = '/api/identity';

export interface TokenPairBody {
  accessToken: string;
  refreshToken: string;
}

export interface StaffAccount {
  id: string;
  username: string;
  role: 'officer' | 'operator';
  agencyCode: string | null;
  name: string;
  disabled: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  createdAt: string;
}

export type StaffWithPassword = StaffAccount & { oneTimePassword: string };

export interface OwnAccount extends StaffAccount {
  recoveryCodesLeft: number;
}

export interface StaffSignInBody {
  username: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
  newPassword?: string;
}

export type SignInStep = 'totp' | 'change-password' | 'enrol-totp';

/** The further step a refused sign-in asks for (identity's `next`), or null for a plain refusal. */
export function nextStepOf(error: unknown): SignInStep | null {
  if (!(error instanceof ApiError) || !error.body || typeof error.body !== 'object') return null;
  const next = (error.body as { next?: unknown }).next;
  return next === 'totp' || next === 'change-password' || next === 'enrol-totp' ? next : null;
}

/**
 * The token of an `enrol-totp` refusal: it stands in for the session until TOTP is set up, and opens nothing else.
 */
export function enrolmentTokenOf(error: unknown): string | null {
  if (!(error instanceof ApiError) || !error.body || typeof error.body !== 'object') return null;
  const token = (error.body as { enrolmentToken?: unknown }).enrolmentToken;
  return typeof token === 'string' && token ? token : null;
}

/** Operator actions take no body: identity refuses a body on an endpoint that reads none. */
export const staffApi = {
  signIn: (body: StaffSignInBody) => api<TokenPairBody>(`${IDENTITY}/auth/staff/tokens`, { json: body }),
  list: () => api<StaffAccount[]>(`${IDENTITY}/staff`),
  create: (body: { username: string; agencyCode: string; name: string }) =>
    api<StaffWithPassword>(`${IDENTITY}/staff`, { json: body }),
  disable: (id: string) => api<StaffAccount>(`${IDENTITY}/staff/${encodeURIComponent(id)}/disable`, { method: 'POST' }),
  enable: (id: string) => api<StaffAccount>(`${IDENTITY}/staff/${encodeURIComponent(id)}/enable`, { method: 'POST' }),
  reset: (id: string) =>
    api<StaffWithPassword>(`${IDENTITY}/staff/${encodeURIComponent(id)}/reset`, { method: 'POST' }),
  me: () => api<OwnAccount>(`${IDENTITY}/staff/me`),
  changePassword: (currentPassword: string, newPassword: string) =>
    api<undefined>(`${IDENTITY}/staff/me/password`, { json: { currentPassword, newPassword } }),
  startTotp: (password: string) =>
    api<{ otpauthUri: string; secret: string }>(`${IDENTITY}/staff/me/totp`, { json: { password } }),
  confirmTotp: (code: string) =>
    api<{ recoveryCodes: string[] }>(`${IDENTITY}/staff/me/totp/confirm`, { json: { code } }),
  /** The enrolment a sign-in asked for: the key, then the first code, which opens the session. */
  startEnrolment: (enrolmentToken: string) =>
    api<{ otpauthUri: string; secret: string }>(`${IDENTITY}/auth/staff/totp-enrolment`, {
      json: { enrolmentToken },
    }),
  confirmEnrolment: (enrolmentToken: string, code: string) =>
    api<TokenPairBody & { recoveryCodes: string[] }>(`${IDENTITY}/auth/staff/totp-enrolment/confirm`, {
      json: { enrolmentToken, code },
    }),
};

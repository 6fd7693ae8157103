import { PLATFORM_MIGRATIONS } from '@hoso/nest-kit';
import { IdentitySchema1764201600000 } from './1764201600000-identity-schema';
import { RefreshSessionStart1765000000000 } from './1765000000000-refresh-session-start';
import { StaffAccountSecurity1766000000000 } from './1766000000000-staff-account-security';
import { SealedSigningKeys1766100000000 } from './1766100000000-sealed-signing-keys';
import { CitizenSignInLimits1766500000000 } from './1766500000000-citizen-sign-in-limits';
import { StaffTotpEnrolment1766600000000 } from './1766600000000-staff-totp-enrolment';

/** Every migration of the identity database, in order. */
export const IDENTITY_MIGRATIONS = [
  ...PLATFORM_MIGRATIONS,
  IdentitySchema1764201600000,
  RefreshSessionStart1765000000000,
  StaffAccountSecurity1766000000000,
  SealedSigningKeys1766100000000,
  CitizenSignInLimits1766500000000,
  StaffTotpEnrolment1766600000000,
];

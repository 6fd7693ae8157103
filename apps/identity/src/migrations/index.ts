import { MessagingTables1764115200000 } from '@hoso/messaging';
import { IdentitySchema1764201600000 } from './1764201600000-identity-schema';
import { RefreshSessionStart1765000000000 } from './1765000000000-refresh-session-start';

/** Every migration of the identity database, in order. */
export const IDENTITY_MIGRATIONS = [
  MessagingTables1764115200000,
  IdentitySchema1764201600000,
  RefreshSessionStart1765000000000,
];

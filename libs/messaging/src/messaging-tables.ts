import { MessagingTables1764115200000 } from './migrations/1764115200000-messaging-tables';
import { InboxFactKey1765300000000 } from './migrations/1765300000000-inbox-fact-key';
import { GroupMembers1766800000000 } from './migrations/1766800000000-group-members';

export { MessagingTables1764115200000, InboxFactKey1765300000000, GroupMembers1766800000000 };

/**
 * Every migration of the messaging tables, in order: a service lists `...MESSAGING_MIGRATIONS` before its own, so a
 * later messaging migration reaches every service database without editing each service again.
 */
export const MESSAGING_MIGRATIONS = [
  MessagingTables1764115200000,
  InboxFactKey1765300000000,
  GroupMembers1766800000000,
];

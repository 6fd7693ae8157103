/** The services whose audit trail operators read, by their gateway prefix (`/api/<service>/audit-trail`). */
export const AUDITED_SERVICES = ['identity', 'intake', 'payment', 'cases', 'metrics'] as const;
export type AuditedService = (typeof AUDITED_SERVICES)[number];

export const AUDIT_OUTCOMES = ['allowed', 'denied', 'failed'] as const;

/** How many of the latest entries each service's card shows. */
export const AUDIT_ENTRY_LIMIT = 20;

/** libs/nest-kit verifyAuditTrail's answer. */
export type AuditVerification =
  { ok: true; entries: number; headHash: string } | { ok: false; entries: number; brokenAt: number; reason: string };

/** One entry as the service answers it: its position and time, then its recorded fields (or its raw text). */
export interface AuditTrailEntry {
  seq: number;
  recordedAt: string;
  action?: string;
  outcome?: string;
  actor?: { sub: string; role: string } | null;
  resource?: string | null;
  reason?: string | null;
  correlationId?: string | null;
  details?: Record<string, unknown> | null;
  unreadable?: string;
}

export interface AuditTrailView {
  verification: AuditVerification;
  entries: AuditTrailEntry[];
}

export function auditTrailPath(service: AuditedService, limit = AUDIT_ENTRY_LIMIT): string {
  return `/api/${service}/audit-trail?limit=${limit}`;
}

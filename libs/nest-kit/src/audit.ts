import type { Logger } from 'pino';

export interface AuditEntry {
  action: string;
  outcome: 'allowed' | 'denied' | 'failed';
  actor: { sub: string; role: string } | null;
  resource?: string;
  reason?: string;
  correlationId?: string;
}

/**
 * Security-relevant decisions (sign-ins, refused reads of someone else's data, lockouts) as
 * `audit: true` log lines, so they can be shipped to a separate store and alerted on.
 */
export function audit(logger: Logger, entry: AuditEntry): void {
  const level = entry.outcome === 'allowed' ? 'info' : 'warn';
  logger[level]({ audit: true, ...entry }, `audit ${entry.action} ${entry.outcome}`);
}

import type { EntityManager } from 'typeorm';
import type { Notification } from './notification.adapter';

/** A notification decided by a move: written in the move's transaction, sent after its commit. */
export interface DecidedNotification extends Omit<Notification, 'idempotencyKey'> {
  caseId: string;
  /**
   * Tells apart notifications of a kind that repeats on one case: the case version of the supplement request
   * (every request is its own message); 0 for the kinds that happen once per case (received, result issued).
   */
  occurrence?: number;
}

/** The idempotency key, also the BullMQ job id (no ':'): one per (case, kind, occurrence). */
export function notificationKey(kind: Notification['kind'], caseId: string, occurrence = 0): string {
  switch (kind) {
    case 'CASE_RECEIVED':
      return `received-${caseId}`;
    case 'RESULT_ISSUED':
      return `result-${caseId}`;
    case 'SUPPLEMENT_REQUESTED':
      return `supplement-${caseId}-v${occurrence}`;
  }
}

/**
 * Records the notification in the caller's transaction and returns its key, to enqueue once that transaction has
 * committed. A second decision of the same (case, kind, occurrence) adds nothing: each is sent at most once.
 */
export async function decideNotification(m: Pick<EntityManager, 'query'>, n: DecidedNotification): Promise<string> {
  const occurrence = n.occurrence ?? 0;
  const key = notificationKey(n.kind, n.caseId, occurrence);
  await m.query(
    `INSERT INTO case_notifications (case_id, kind, occurrence, idempotency_key, recipient_personal_id, dossier_id,
       channel, subject, body)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id, kind, occurrence) DO NOTHING`,
    [n.caseId, n.kind, occurrence, key, n.recipientPersonalId, n.dossierId, n.channel, n.subject, n.body],
  );
  return key;
}

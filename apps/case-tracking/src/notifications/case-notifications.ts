import type { EntityManager } from 'typeorm';
import { valuesList } from '@hoso/persistence';
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
  const [key] = await decideNotifications(m, [n]);
  return key as string;
}

/** Several notifications in one statement (a consumer flush opening many cases); their keys, in order. */
export async function decideNotifications(
  m: Pick<EntityManager, 'query'>,
  list: readonly DecidedNotification[],
): Promise<string[]> {
  if (!list.length) return [];
  const keys = list.map((n) => notificationKey(n.kind, n.caseId, n.occurrence ?? 0));
  const { sql, params } = valuesList(
    list.map((n, i) => [
      n.caseId,
      n.kind,
      n.occurrence ?? 0,
      keys[i],
      n.recipientPersonalId,
      n.dossierId,
      n.channel,
      n.subject,
      n.body,
    ]),
  );
  await m.query(
    `INSERT INTO case_notifications (case_id, kind, occurrence, idempotency_key, recipient_personal_id, dossier_id,
       channel, subject, body)
     VALUES ${sql} ON CONFLICT (case_id, kind, occurrence) DO NOTHING`,
    params,
  );
  return keys;
}

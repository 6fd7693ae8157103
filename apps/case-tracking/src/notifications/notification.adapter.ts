import type { EntityManager } from 'typeorm';

export interface Notification {
  /** Stable per notification (the job id): a retried delivery never sends twice. */
  idempotencyKey: string;
  recipientPersonalId: string;
  dossierId: string;
  channel: 'EMAIL' | 'SMS';
  kind: 'CASE_RECEIVED' | 'SUPPLEMENT_REQUESTED' | 'RESULT_ISSUED';
  subject: string;
  body: string;
}

/** Email/SMS delivery. Production plugs a provider in; development writes to the `mailbox` table. */
export interface NotificationAdapter {
  send(n: Notification): Promise<void>;
}

export const NOTIFICATION_ADAPTER = Symbol('NOTIFICATION_ADAPTER');

export class MailboxAdapter implements NotificationAdapter {
  constructor(private readonly db: Pick<EntityManager, 'query'>) {}

  async send(n: Notification): Promise<void> {
    await this.db.query(
      `INSERT INTO mailbox (idempotency_key, recipient_personal_id, dossier_id, channel, kind, subject, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
      [n.idempotencyKey, n.recipientPersonalId, n.dossierId, n.channel, n.kind, n.subject, n.body],
    );
  }
}

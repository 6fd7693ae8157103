import type { EntityManager } from 'typeorm';
import { valuesList } from '@hoso/persistence';

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
  /** Several at once, all or none (a provider with a bulk API); without it each is sent on its own. */
  sendMany?(list: readonly Notification[]): Promise<void>;
}

export const NOTIFICATION_ADAPTER = Symbol('NOTIFICATION_ADAPTER');

export class MailboxAdapter implements NotificationAdapter {
  constructor(private readonly db: Pick<EntityManager, 'query'>) {}

  send(n: Notification): Promise<void> {
    return this.sendMany([n]);
  }

  async sendMany(list: readonly Notification[]): Promise<void> {
    if (!list.length) return;
    const { sql, params } = valuesList(
      list.map((n) => [n.idempotencyKey, n.recipientPersonalId, n.dossierId, n.channel, n.kind, n.subject, n.body]),
    );
    await this.db.query(
      `INSERT INTO mailbox (idempotency_key, recipient_personal_id, dossier_id, channel, kind, subject, body)
       VALUES ${sql} ON CONFLICT (idempotency_key) DO NOTHING`,
      params,
    );
  }
}

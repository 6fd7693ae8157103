import { ConflictException } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import type { MetricsService } from '@hoso/nest-kit';
import { quotaVerdict, type QuotaLimitKind, type UnattachedUsage, type UploadQuotaLimits } from './domain/quota';

/**
 * A refused upload: the user holds too much that no dossier has claimed. 409 rather than 413 (the request is not
 * too large in itself, a smaller quota holder would be let through) or 429 (waiting does not help until the purge,
 * a day later; submitting or deleting does): the conflict is with the state of the user's uploads.
 */
export class UploadQuotaExceeded extends ConflictException {
  constructor(
    readonly limit: QuotaLimitKind,
    message: string,
  ) {
    super(message);
  }
}

/** The row an accepted upload becomes. */
export interface NewAttachment {
  id: string;
  ownerSub: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
}

/** First key of the advisory locks that serialise one owner's uploads (ASCII "hsoq"); the second is the owner's. */
const QUOTA_LOCK_CLASS = 0x68736f71;

/**
 * The per-user limit on uploads no dossier has claimed yet. Only uploads add to that usage, and they are
 * serialised per owner (a transaction-scoped advisory lock keyed on the owner), so the check and the insert that
 * follows it cannot be overtaken by a parallel upload of the same user. Claims and the purge only lower the usage and
 * take no part: one that commits meanwhile can at worst make a check see more than is left (a refusal a retry
 * would not get), never less.
 */
export class UploadQuota {
  private readonly refusals: Counter<'limit'>;

  constructor(
    private readonly ds: DataSource,
    metrics: MetricsService,
    readonly limits: UploadQuotaLimits,
  ) {
    this.refusals = new Counter({
      name: 'intake_attachment_quota_refusals_total',
      help: 'Uploads refused because the user holds too many or too large unattached uploads, by limit',
      labelNames: ['limit'],
      registers: [metrics.registry],
    });
  }

  /**
   * Ahead of the stream: refuses at once a user who cannot add even one byte, so nothing is written to storage, and
   * otherwise says how many bytes this upload may have (past them the stream is cut and the upload refused, see
   * `refusalPast`). The insert decides; this only spares the disk a file that is sure to be refused.
   */
  async headroom(ownerSub: string): Promise<{ usage: UnattachedUsage; bytes: number }> {
    const usage = await this.usage(this.ds.manager, ownerSub);
    this.refuseIf(usage, { bytes: 1, final: false });
    return { usage, bytes: this.limits.maxBytes - usage.bytes };
  }

  /** The refusal of an upload cut after `seenBytes`, more than the headroom that `usage` left. */
  refusalPast(usage: UnattachedUsage, seenBytes: number): UploadQuotaExceeded {
    const verdict = quotaVerdict(usage, { bytes: seenBytes, final: false }, this.limits) ?? {
      limit: 'bytes' as const,
      message: 'upload quota reached',
    };
    this.refusals.inc({ limit: verdict.limit });
    return new UploadQuotaExceeded(verdict.limit, verdict.message);
  }

  /** Records the upload if it fits the owner's quota, else throws UploadQuotaExceeded and records nothing. */
  async insert(a: NewAttachment): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [QUOTA_LOCK_CLASS, a.ownerSub]);
      // Read after the lock, in a statement of its own: it sees every upload of this owner committed before.
      this.refuseIf(await this.usage(m, a.ownerSub), { bytes: a.sizeBytes, final: true });
      await m.query(
        `INSERT INTO attachments (id, owner_sub, file_name, content_type, size_bytes, sha256, storage_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [a.id, a.ownerSub, a.fileName, a.contentType, a.sizeBytes, a.sha256, a.storageKey],
      );
    });
  }

  async usage(m: EntityManager, ownerSub: string): Promise<UnattachedUsage> {
    const [row] = await m.query<{ files: number; bytes: string }[]>(
      `SELECT count(*)::int AS files, coalesce(sum(size_bytes), 0)::text AS bytes
       FROM attachments WHERE owner_sub = $1 AND dossier_id IS NULL`,
      [ownerSub],
    );
    return { files: row?.files ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  private refuseIf(usage: UnattachedUsage, adding: { bytes: number; final: boolean }): void {
    const verdict = quotaVerdict(usage, adding, this.limits);
    if (!verdict) return;
    this.refusals.inc({ limit: verdict.limit });
    throw new UploadQuotaExceeded(verdict.limit, verdict.message);
  }
}

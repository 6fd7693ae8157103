import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { MetricsService } from '@hoso/nest-kit';
import type { AttachmentStorage } from './attachment-storage';

export interface PurgeOptions {
  /** Unattached uploads older than this (seconds, by the database clock) are deleted. */
  retentionSec: number;
  /** Pause between runs (ms); every replica runs its own loop. */
  everyMs: number;
  /** Rows deleted per transaction. */
  batchSize: number;
}

export interface PurgeRun {
  /** Uploads whose row this run deleted. */
  files: number;
  bytes: number;
  /** Files removed from storage (this run's and any left queued by an earlier run that stopped half-way). */
  removed: number;
}

/** Batches one run takes at most, so a huge backlog is worked off over several runs rather than in one long one. */
const MAX_BATCHES_PER_RUN = 20;

/**
 * Deletes uploads no dossier claimed within the retention period, rows first and files after.
 *
 * A loop in each replica driven by PostgreSQL rather than a BullMQ job: the work is a set-based delete whose
 * every input is in the database, so there is no state to keep in Redis, nothing to rebuild after a Redis loss, and
 * no single scheduler to elect. Replicas that run at the same moment share the rows without colliding (`FOR
 * UPDATE SKIP LOCKED`).
 *
 * Against a claim (a submission or a supplement setting `dossier_id`): the purge deletes only rows that are
 * unattached when it locks them, and a claim updates only rows that are unattached when it locks them, so exactly
 * one of the two gets each row. A claim holding the row makes the purge skip it; a purge holding it makes the claim
 * find it gone once the purge commits (the submission then answers 400 and writes nothing). A file is removed only
 * after the delete of its row has committed, through `attachment_file_deletions`, which commits with the delete: a
 * file is never removed while a row still points at it, and none is forgotten when a process stops in between.
 */
export class AttachmentPurge implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly purgedFiles: Counter;
  private readonly purgedBytes: Counter;

  constructor(
    private readonly ds: DataSource,
    private readonly storage: AttachmentStorage,
    private readonly logger: Logger,
    metrics: MetricsService,
    private readonly options: PurgeOptions,
  ) {
    this.purgedFiles = new Counter({
      name: 'intake_attachments_purged_total',
      help: 'Uploads deleted because no dossier claimed them within the retention period',
      registers: [metrics.registry],
    });
    this.purgedBytes = new Counter({
      name: 'intake_attachments_purged_bytes_total',
      help: 'Bytes of the uploads deleted because no dossier claimed them within the retention period',
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    // The first run waits one period: a fleet restarting together does not all purge at once at start-up.
    this.timer = setInterval(() => {
      void this.tick();
    }, this.options.everyMs);
    this.timer.unref();
  }

  /** Before the database closes (its own shutdown hook): the loop stops and a run under way ends. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.runOnce().catch((err: unknown) => {
      // Retried at the next period; nothing was lost: what committed is queued, what did not is still there.
      this.logger.warn({ err }, 'the purge of unattached uploads failed; it is retried at its next run');
    });
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** One run: deletes the expired unattached uploads in batches, then removes their files. */
  async runOnce(): Promise<PurgeRun> {
    let files = 0;
    let bytes = 0;
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      const rows = await this.ds.query<{ size_bytes: string }[]>(
        `WITH doomed AS (
           SELECT id FROM attachments
           WHERE dossier_id IS NULL AND created_at < now() - make_interval(secs => $1)
           ORDER BY created_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         ),
         gone AS (
           DELETE FROM attachments a USING doomed
           WHERE a.id = doomed.id AND a.dossier_id IS NULL
           RETURNING a.storage_key, a.size_bytes
         )
         INSERT INTO attachment_file_deletions (storage_key, size_bytes)
         SELECT storage_key, size_bytes FROM gone
         ON CONFLICT (storage_key) DO NOTHING
         RETURNING size_bytes`,
        [this.options.retentionSec, this.options.batchSize],
      );
      const batchBytes = rows.reduce((n, r) => n + Number(r.size_bytes), 0);
      files += rows.length;
      bytes += batchBytes;
      // Counted once committed (the statement is its own transaction), whether or not the files follow now.
      this.purgedFiles.inc(rows.length);
      this.purgedBytes.inc(batchBytes);
      if (rows.length < this.options.batchSize) break;
    }
    const removed = await removeQueuedFiles(this.ds, this.storage, this.logger, this.options.batchSize);
    if (files > 0 || removed > 0) {
      this.logger.info(
        { purge: { files, bytes, removed, retentionSec: this.options.retentionSec } },
        `purged ${String(files)} unattached upload(s) (${String(bytes)} bytes) older than the retention period`,
      );
    }
    return { files, bytes, removed };
  }
}

/**
 * Removes the files queued in `attachment_file_deletions` (rows already gone) and their queue entries. Entries are
 * locked while their files are removed, so two replicas do not work on the same ones; a file that cannot be removed
 * stays queued for the next run. Returns how many files were removed.
 */
async function removeQueuedFiles(
  ds: DataSource,
  storage: AttachmentStorage,
  logger: Logger,
  batchSize: number,
): Promise<number> {
  let removed = 0;
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const n = await ds.transaction(async (m) => {
      const queued = await m.query<{ storage_key: string }[]>(
        `SELECT storage_key FROM attachment_file_deletions ORDER BY queued_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      const done: string[] = [];
      for (const { storage_key: key } of queued) {
        try {
          await storage.delete(key);
          done.push(key);
        } catch (err) {
          logger.warn({ err, storageKey: key }, 'could not remove a deleted upload’s file; retried at the next purge');
        }
      }
      if (done.length) {
        await m.query(`DELETE FROM attachment_file_deletions WHERE storage_key = ANY($1::text[])`, [done]);
      }
      return { queued: queued.length, done: done.length };
    });
    removed += n.done;
    if (n.queued < batchSize || n.done === 0) break;
  }
  return removed;
}

import { Controller, Get, Inject, Module, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Roles } from '@hoso/auth';
import type { AuditEntry } from './audit';
import { AUDIT_TRAIL_TABLE, recordAudit, verifyAuditTrail, type AuditVerification } from './audit-trail';
import { ApiZodQuery, zodQuery } from './zod';

/**
 * Records an audited action that is not itself a transaction of this database (a refused read, a sign-in failure
 * whose request fails, a DLQ replay through Kafka) in a short transaction of its own, right after the action.
 * Never call it with the caller's transaction still open on the same head lock: it takes a second connection.
 */
export function recordAuditApart(
  ds: DataSource,
  logger: Logger,
  entry: AuditEntry,
  details?: Record<string, unknown>,
): Promise<void> {
  return ds.transaction((m) => recordAudit(m, logger, entry, details));
}

const AuditTrailQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** One stored entry as operators read it: its position, when it was written, and its recorded fields. */
export type AuditTrailEntryView = { seq: number; recordedAt: string } & (
  (Record<string, unknown> & { action: string }) | { unreadable: string }
);

export interface AuditTrailView {
  verification: AuditVerification;
  entries: AuditTrailEntryView[];
}

@ApiTags('audit-trail')
@ApiBearerAuth()
@Roles('operator')
@Controller('audit-trail')
export class AuditTrailController {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /**
   * The trail's verification and its latest entries (newest first), read in one snapshot so the entries shown are
   * the ones verified. The verification walks the whole chain on every call: milliseconds for the thousands of
   * entries a service gathers in months, but seconds for millions. Then: verify incrementally from a checkpoint
   * (the last verified seq and hash, itself exported), re-walking everything only on demand.
   */
  @Get()
  @ApiOperation({
    summary: "The audit trail's hash-chain verification (verified or broken at entry N) and its last entries",
  })
  @ApiZodQuery(AuditTrailQuery)
  read(@Query(zodQuery(AuditTrailQuery)) q: z.output<typeof AuditTrailQuery>): Promise<AuditTrailView> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      await m.query('SET TRANSACTION READ ONLY');
      const verification = await verifyAuditTrail(m);
      const rows = await m.query<{ seq: string; entry: string; recorded_at: Date }[]>(
        `SELECT t.seq::text AS seq, t.entry, t.recorded_at FROM ${AUDIT_TRAIL_TABLE} t ORDER BY t.seq DESC LIMIT $1`,
        [q.limit],
      );
      return { verification, entries: rows.map(entryView) };
    });
  }
}

function entryView(row: { seq: string; entry: string; recorded_at: Date }): AuditTrailEntryView {
  const base = { seq: Number(row.seq), recordedAt: new Date(row.recorded_at).toISOString() };
  try {
    const parsed: unknown = JSON.parse(row.entry);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { action?: unknown }).action === 'string') {
      return { ...base, ...(parsed as Record<string, unknown> & { action: string }) };
    }
  } catch {
    // An entry edited into something that is not JSON is still shown (verification names it broken).
  }
  return { ...base, unreadable: row.entry };
}

/** `GET /audit-trail` (operators) in every service that keeps an audit trail; part of platformModules. */
@Module({ controllers: [AuditTrailController] })
export class AuditTrailModule {}

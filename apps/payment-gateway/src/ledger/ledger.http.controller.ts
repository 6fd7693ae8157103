import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiZodQuery, zodQuery } from '@hoso/nest-kit';

export const LedgerQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

interface LedgerRow {
  id: string;
  kind: string;
  session_id: string | null;
  payment_id: string;
  status: string;
  amount_vnd: string;
  gateway_reference: string;
  method: string | null;
  occurred_at: Date;
  recorded_at: Date;
}

/** The gateway's book of record, which merchants reconcile their payments against. */
@ApiTags('ledger')
@ApiBearerAuth()
@Controller('ledger')
export class LedgerController {
  constructor(private readonly ds: DataSource) {}

  @Get()
  @ApiZodQuery(LedgerQuery)
  async list(@Query(zodQuery(LedgerQuery)) q: z.output<typeof LedgerQuery>) {
    const rows = await this.ds.query<LedgerRow[]>(
      `SELECT * FROM gateway_ledger WHERE recorded_at >= $1 ORDER BY recorded_at, id LIMIT $2`,
      [q.since ?? new Date(0).toISOString(), q.limit],
    );
    return {
      entries: rows.map((r) => ({
        kind: r.kind,
        sessionId: r.session_id,
        paymentId: r.payment_id,
        status: r.status,
        amountVnd: Number(r.amount_vnd),
        gatewayReference: r.gateway_reference,
        method: r.method,
        occurredAt: r.occurred_at.toISOString(),
        recordedAt: r.recorded_at.toISOString(),
      })),
      /** Pass as `since` to continue when the page was full. */
      next: rows.length === q.limit ? rows[rows.length - 1]?.recorded_at.toISOString() : null,
    };
  }
}

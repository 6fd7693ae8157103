import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { canReadAgency, CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodQuery, recordAuditApart, zodQuery } from '@hoso/nest-kit';
import { caseView, type CaseRow } from '../cases/case.store';
import { CASE_STATUSES } from '../cases/domain/case';
import { ROOT_LOGGER } from '../tokens';

const QueueQuery = z.strictObject({
  status: z.enum(CASE_STATUSES).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

/** An agency's work queue: overdue first, then by due date (served by the partial index cases_open_queue). */
@ApiTags('queues')
@ApiBearerAuth()
@Controller('queues')
export class QueuesController {
  constructor(
    private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Get(':agencyCode/cases')
  @Roles('officer', 'operator')
  @ApiZodQuery(QueueQuery)
  async list(
    @Param('agencyCode') agencyCode: string,
    @Query(zodQuery(QueueQuery)) q: z.output<typeof QueueQuery>,
    @CurrentUser() user: AuthUser,
  ) {
    if (!canReadAgency(user, agencyCode)) {
      // A refused read writes nothing else: its record is a short transaction of its own.
      await recordAuditApart(this.ds, this.logger, {
        action: 'queue.read',
        outcome: 'denied',
        actor: { sub: user.sub, role: user.role },
        resource: agencyCode,
      });
      throw new NotFoundException(`no queue ${agencyCode}`);
    }
    const params: unknown[] = [agencyCode];
    const where = ['agency_code = $1'];
    if (q.status) {
      params.push(q.status);
      where.push(`status = $${params.length}`);
    } else where.push(`status NOT IN ('COMPLETED', 'WITHDRAWN')`);
    if (q.overdue !== undefined) {
      params.push(q.overdue);
      where.push(`overdue = $${params.length}`);
    }
    // One row more than the page tells whether another page exists, without counting the whole queue.
    params.push(q.pageSize + 1, (q.page - 1) * q.pageSize);
    const rows = await this.ds.query<CaseRow[]>(
      `SELECT * FROM cases WHERE ${where.join(' AND ')} ORDER BY overdue DESC, due_at, id
       LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return {
      page: q.page,
      pageSize: q.pageSize,
      hasMore: rows.length > q.pageSize,
      items: rows.slice(0, q.pageSize).map(caseView),
    };
  }
}

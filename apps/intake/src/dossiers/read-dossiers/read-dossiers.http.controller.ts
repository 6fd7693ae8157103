import { BadRequestException, Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { canReadDossier, CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodQuery, CorrelationId, recordAuditApart, zodQuery } from '@hoso/nest-kit';
import { APP_LOGGER } from '../../logger.token';
import { DOSSIER_STATUSES } from '../domain/status';
import { DossierRepository, type DossierRow } from '../dossier.repository';
import {
  decodeCursor,
  DossierChangesQuery,
  encodeCursor,
  FEED_START,
  type DossierChangeRow,
} from './dossier-changes.query';
import { toDossierView, toSummaryView, type DossierSummaryView, type DossierView } from './dossier.view';

const ListQuery = z.strictObject({
  status: z.enum(DOSSIER_STATUSES).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

const ChangesQuery = z.strictObject({
  /**
   * A `nextCursor` of an earlier answer; none for the whole feed; `now` to follow the changes from now on (from the
   * oldest transaction still open, so changes committed just before may show too).
   */
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** One dossier at its latest status change. */
export interface DossierChangeView {
  id: string;
  receiptCode: string;
  agencyCode: string;
  handlingAgencyCode: string;
  status: string;
  statusAt: string;
}

const toChangeView = (r: DossierChangeRow): DossierChangeView => ({
  id: r.id,
  receiptCode: r.receipt_code,
  agencyCode: r.agency_code,
  handlingAgencyCode: r.handling_agency_code,
  status: r.status,
  statusAt: r.status_at.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether the caller may read the dossier (and its attachments): its applicant, an officer of its (current) agency,
 * an operator.
 */
export function mayRead(
  user: AuthUser,
  d: Pick<DossierRow, 'applicant_personal_id' | 'agency_code' | 'handling_agency_code'>,
): boolean {
  return (
    canReadDossier(user, { applicantPersonalId: d.applicant_personal_id, agencyCode: d.agency_code }) ||
    canReadDossier(user, { applicantPersonalId: d.applicant_personal_id, agencyCode: d.handling_agency_code })
  );
}

@ApiTags('dossiers')
@Controller('dossiers')
export class ReadDossiersHttpController {
  private readonly changes: DossierChangesQuery;

  constructor(
    private readonly ds: DataSource,
    private readonly dossiers: DossierRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {
    this.changes = new DossierChangesQuery(ds);
  }

  /** Citizen: own dossiers; officer: their agency's; operator: all. Newest first. */
  @Get()
  @ApiZodQuery(ListQuery)
  async list(
    @Query(zodQuery(ListQuery)) q: z.output<typeof ListQuery>,
    @CurrentUser() user: AuthUser,
  ): Promise<{ items: DossierSummaryView[]; page: number; pageSize: number; total: number }> {
    const scope =
      user.role === 'citizen'
        ? { applicantPersonalId: user.personalId ?? '-' }
        : user.role === 'officer'
          ? { agencyCode: user.agencyCode ?? '-' }
          : {};
    const { rows, total } = await this.dossiers.list({
      ...scope,
      ...(q.status ? { status: q.status } : {}),
      page: q.page,
      pageSize: q.pageSize,
    });
    return { items: rows.map(toSummaryView), page: q.page, pageSize: q.pageSize, total };
  }

  /**
   * Operator: the dossiers whose status changed after the cursor, oldest change first, each at its latest status
   * (a dossier changed again later shows up again further on). Keyset reads on one index, where following statuses
   * through the list above would count and sort every dossier on each read. Declared before `:id`, which would
   * otherwise take the path.
   */
  @Get('changes')
  @Roles('operator')
  @ApiZodQuery(ChangesQuery)
  async changed(
    @Query(zodQuery(ChangesQuery)) q: z.output<typeof ChangesQuery>,
  ): Promise<{ items: DossierChangeView[]; nextCursor: string }> {
    if (q.after === 'now') return { items: [], nextCursor: encodeCursor(await this.changes.now()) };
    const cursor = q.after === undefined ? FEED_START : decodeCursor(q.after);
    if (!cursor) throw new BadRequestException('after: not a cursor of this feed');
    const page = await this.changes.page(cursor, q.limit);
    return { items: page.rows.map(toChangeView), nextCursor: encodeCursor(page.next) };
  }

  @Get('by-receipt/:receiptCode')
  async byReceipt(
    @Param('receiptCode') code: string,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<DossierView> {
    return this.consistently(async (m) => {
      const d = code.length <= 64 ? await this.dossiers.byReceiptCode(code, m) : null;
      return this.scoped(m, d, `receipt:${code.slice(0, 64)}`, user, correlationId);
    });
  }

  @Get(':id')
  async byId(
    @Param('id') id: string,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<DossierView> {
    return this.consistently(async (m) => {
      const d = UUID.test(id) ? await this.dossiers.byId(id, m) : null;
      return this.scoped(m, d, `dossier:${id.slice(0, 64)}`, user, correlationId);
    });
  }

  /**
   * The dossier row, its history and attachments from one snapshot: read separately, a status event
   * committing in between would show its history row next to the status from before it.
   */
  private consistently<R>(read: (m: EntityManager) => Promise<R>): Promise<R> {
    return this.ds.transaction('REPEATABLE READ', read);
  }

  private async scoped(
    m: EntityManager,
    d: DossierRow | null,
    resource: string,
    user: AuthUser,
    correlationId: string,
  ): Promise<DossierView> {
    if (!d) throw new NotFoundException('no such dossier');
    if (!mayRead(user, d)) {
      // Same answer as a missing dossier: a caller must not learn that someone else's dossier exists.
      // The request fails with a 404 (its transaction, if any, rolls back): the refusal is recorded in a short
      // transaction of its own.
      await recordAuditApart(this.ds, this.logger, {
        action: 'dossier.read',
        outcome: 'denied',
        actor: { sub: user.sub, role: user.role },
        resource,
        reason: 'not the applicant nor an officer of its agency',
        correlationId,
      });
      throw new NotFoundException('no such dossier');
    }
    return toDossierView(d, await this.dossiers.history(d.id, m), await this.dossiers.attachments(d.id, m));
  }
}

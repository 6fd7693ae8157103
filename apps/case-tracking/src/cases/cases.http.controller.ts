import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, CorrelationId, recordAudit, zodBody } from '@hoso/nest-kit';
import { CaseQueues } from '../jobs/case-queues';
import { CommittedEffects } from '../jobs/committed-effects';
import { decideNotification } from '../notifications/case-notifications';
import { CaseAccess } from './case-access';
import { CaseMoves } from './case-moves';
import { ROOT_LOGGER } from '../tokens';
import { caseView, type CaseRow } from './case.store';

const SupplementRequest = z.strictObject({ message: z.string().trim().min(1).max(2000) });
const Supplement = z.strictObject({
  note: z.string().trim().min(1).max(2000),
  attachmentIds: z.array(z.string().min(1).max(100)).max(20).optional(),
});
const Decision = z.strictObject({
  outcome: z.enum(['APPROVED', 'REJECTED']),
  reason: z.string().trim().min(1).max(2000),
});
const Transfer = z.strictObject({
  toAgencyCode: z.string().regex(/^(P\d{2}|C\d{5}|BCA|BTP|BXD|BTC|BNNMT|BHXH)$/, 'not an agency code'),
  reason: z.string().trim().min(1).max(2000),
});

const officer = (u: AuthUser) => ({ kind: 'officer' as const, id: u.sub });

/** Officer and citizen moves of a case; every move goes through the state machine in CaseMoves. */
@ApiTags('cases')
@ApiBearerAuth()
@Controller('cases')
export class CasesController {
  constructor(
    private readonly effects: CommittedEffects,
    private readonly moves: CaseMoves,
    private readonly access: CaseAccess,
    private readonly queues: CaseQueues,
    private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Get(':id')
  async get(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return caseView(await this.access.forReader(this.ds, id, user, 'case.read'));
  }

  @Post(':id/claim')
  @HttpCode(200)
  @Roles('officer')
  async claim(@Param('id') id: string, @CurrentUser() user: AuthUser, @CorrelationId() correlationId: string) {
    return this.effects.transaction(async (m, defer) => {
      const c = await this.access.forAgency(m, id, user, 'case.claim');
      const moved = await this.moves.move(
        m,
        c,
        { kind: 'claim', officer: user.sub },
        { actor: officer(user), reason: null, correlationId, causationId: null, defer },
      );
      await this.record(m, 'case.claim', user, moved, correlationId);
      return caseView(moved);
    });
  }

  @Post(':id/supplement-requests')
  @HttpCode(200)
  @Roles('officer')
  @ApiZodBody(SupplementRequest)
  async requestSupplement(
    @Param('id') id: string,
    @Body(zodBody(SupplementRequest)) body: z.output<typeof SupplementRequest>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const c = await this.effects.transaction(async (m, defer) => {
      const found = await this.access.forAgency(m, id, user, 'case.request-supplement');
      const moved = await this.moves.move(
        m,
        found,
        { kind: 'request-supplement', officer: user.sub },
        {
          actor: officer(user),
          reason: body.message,
          correlationId,
          causationId: null,
          defer,
        },
      );
      // Every request is its own message (occurrence: the case version of this move); sent after the commit.
      const key = await decideNotification(m, {
        caseId: moved.id,
        occurrence: moved.version,
        recipientPersonalId: moved.applicant_personal_id,
        dossierId: moved.dossier_id,
        channel: 'EMAIL',
        kind: 'SUPPLEMENT_REQUESTED',
        subject: `Hồ sơ ${moved.receipt_code} cần bổ sung`,
        body: body.message,
      });
      defer(() => this.queues.enqueueNotification(key));
      await this.record(m, 'case.request-supplement', user, moved, correlationId, { message: body.message });
      return moved;
    });
    return caseView(c);
  }

  @Post(':id/supplements')
  @HttpCode(200)
  @Roles('citizen')
  @ApiZodBody(Supplement)
  async supply(
    @Param('id') id: string,
    @Body(zodBody(Supplement)) body: z.output<typeof Supplement>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    return this.effects.transaction(async (m, defer) => {
      const c = await this.access.forApplicant(m, id, user, 'case.supply');
      const attachments = body.attachmentIds?.length ? ` (attachments: ${body.attachmentIds.join(', ')})` : '';
      return caseView(
        await this.moves.move(
          m,
          c,
          { kind: 'supply', citizenPersonalId: user.personalId ?? '' },
          {
            actor: { kind: 'citizen', id: user.sub },
            reason: `${body.note}${attachments}`,
            correlationId,
            causationId: null,
            defer,
          },
        ),
      );
    });
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Roles('officer')
  @ApiZodBody(Decision)
  async decide(
    @Param('id') id: string,
    @Body(zodBody(Decision)) body: z.output<typeof Decision>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    return this.effects.transaction(async (m, defer) => {
      const c = await this.access.forAgency(m, id, user, 'case.decide');
      const moved = await this.moves.move(
        m,
        c,
        { kind: 'decide', officer: user.sub, outcome: body.outcome },
        {
          actor: officer(user),
          reason: body.reason,
          correlationId,
          causationId: null,
          set: { outcome: body.outcome },
          defer,
        },
      );
      await this.record(m, 'case.decide', user, moved, correlationId, {
        outcome: body.outcome,
        reason: body.reason,
      });
      return caseView(moved);
    });
  }

  @Post(':id/transfer')
  @HttpCode(200)
  @Roles('officer')
  @ApiZodBody(Transfer)
  async transfer(
    @Param('id') id: string,
    @Body(zodBody(Transfer)) body: z.output<typeof Transfer>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    return this.effects.transaction(async (m, defer) => {
      const c = await this.access.forAgency(m, id, user, 'case.transfer');
      const moved = await this.moves.move(
        m,
        c,
        { kind: 'transfer', officer: user.sub, toAgencyCode: body.toAgencyCode },
        {
          actor: officer(user),
          reason: body.reason,
          correlationId,
          causationId: null,
          defer,
        },
      );
      await this.record(m, 'case.transfer', user, moved, correlationId, {
        fromAgencyCode: c.agency_code,
        toAgencyCode: body.toAgencyCode,
        reason: body.reason,
      });
      return caseView(moved);
    });
  }

  /**
   * An officer's move, recorded in the audit trail in the move's transaction (its last statement, so the trail's
   * head lock is held only until the commit): a move that loses its race or rolls back leaves no record.
   */
  private record(
    m: EntityManager,
    action: string,
    user: AuthUser,
    moved: CaseRow,
    correlationId: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return recordAudit(
      m,
      this.logger,
      {
        action,
        outcome: 'allowed',
        actor: { sub: user.sub, role: user.role },
        resource: `case:${moved.id}`,
        correlationId,
      },
      { dossierId: moved.dossier_id, status: moved.status, ...details },
    );
  }
}

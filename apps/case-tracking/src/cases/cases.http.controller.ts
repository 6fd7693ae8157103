import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { MessagingService } from '@hoso/messaging';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { CaseQueues } from '../jobs/case-queues';
import { CaseAccess } from './case-access';
import { CaseMoves } from './case-moves';
import { caseView } from './case.store';

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
    private readonly messaging: MessagingService,
    private readonly moves: CaseMoves,
    private readonly access: CaseAccess,
    private readonly queues: CaseQueues,
    private readonly ds: DataSource,
  ) {}

  @Get(':id')
  async get(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return caseView(await this.access.forReader(this.ds, id, user, 'case.read'));
  }

  @Post(':id/claim')
  @HttpCode(200)
  @Roles('officer')
  async claim(@Param('id') id: string, @CurrentUser() user: AuthUser, @CorrelationId() correlationId: string) {
    return this.messaging.transaction(async (m) => {
      const c = await this.access.forAgency(m, id, user, 'case.claim');
      return caseView(
        await this.moves.move(
          m,
          c,
          { kind: 'claim', officer: user.sub },
          { actor: officer(user), reason: null, correlationId, causationId: null },
        ),
      );
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
    const c = await this.messaging.transaction(async (m) => {
      const found = await this.access.forAgency(m, id, user, 'case.request-supplement');
      return this.moves.move(
        m,
        found,
        { kind: 'request-supplement', officer: user.sub },
        {
          actor: officer(user),
          reason: body.message,
          correlationId,
          causationId: null,
        },
      );
    });
    await this.queues.enqueueNotification({
      idempotencyKey: `supplement-${c.id}-v${c.version}`,
      recipientPersonalId: c.applicant_personal_id,
      dossierId: c.dossier_id,
      channel: 'EMAIL',
      kind: 'SUPPLEMENT_REQUESTED',
      subject: `Hồ sơ ${c.receipt_code} cần bổ sung`,
      body: body.message,
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
    return this.messaging.transaction(async (m) => {
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
    return this.messaging.transaction(async (m) => {
      const c = await this.access.forAgency(m, id, user, 'case.decide');
      return caseView(
        await this.moves.move(
          m,
          c,
          { kind: 'decide', officer: user.sub, outcome: body.outcome },
          {
            actor: officer(user),
            reason: body.reason,
            correlationId,
            causationId: null,
            set: { outcome: body.outcome },
          },
        ),
      );
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
    return this.messaging.transaction(async (m) => {
      const c = await this.access.forAgency(m, id, user, 'case.transfer');
      return caseView(
        await this.moves.move(
          m,
          c,
          { kind: 'transfer', officer: user.sub, toAgencyCode: body.toAgencyCode },
          {
            actor: officer(user),
            reason: body.reason,
            correlationId,
            causationId: null,
          },
        ),
      );
    });
  }
}

import { Body, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { WithdrawDossierHandler, type WithdrawAnswer } from './withdraw-dossier.handler';

const WithdrawBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@ApiTags('dossiers')
@Controller('dossiers')
export class WithdrawDossierHttpController {
  constructor(private readonly handler: WithdrawDossierHandler) {}

  /** The applicant withdraws the dossier; only before a decision (409 afterwards). */
  @Post(':id/withdraw')
  @HttpCode(200)
  @Roles('citizen')
  @ApiZodBody(WithdrawBody)
  withdraw(
    @Param('id') id: string,
    @Body(zodBody(WithdrawBody)) body: z.output<typeof WithdrawBody>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<WithdrawAnswer> {
    if (!UUID.test(id)) throw new NotFoundException('no such dossier');
    return this.handler.withdraw(id, body.reason, user, correlationId);
  }
}

import { BadRequestException, Body, Controller, Headers, Post, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { SubmitDossierHandler } from './submit-dossier.handler';
import { IdempotencyKey, SubmitDossierBody } from './submit-dossier.request';

@ApiTags('dossiers')
@Controller('dossiers')
export class SubmitDossierHttpController {
  constructor(private readonly handler: SubmitDossierHandler) {}

  /**
   * Submits a dossier (citizen: online; officer: at the counter for the applicant in the body). Answers 202 with
   * the receipt code; the same Idempotency-Key and body answer the same again, another body 409.
   */
  @Post()
  @Roles('citizen', 'officer')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '8–100 visible ASCII characters' })
  @ApiZodBody(SubmitDossierBody)
  async submit(
    @Headers('idempotency-key') rawKey: string | undefined,
    @Body(zodBody(SubmitDossierBody)) body: SubmitDossierBody,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    const key = IdempotencyKey.safeParse(rawKey);
    if (!key.success) {
      const message = key.error.issues[0]?.message ?? 'invalid Idempotency-Key header';
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message,
        issues: [{ path: 'Idempotency-Key', message }],
      });
    }
    const result = await this.handler.submit(user, key.data, body, correlationId);
    res.status(result.statusCode);
    if (!result.fresh) res.setHeader('Idempotent-Replayed', 'true');
    return result.body;
  }
}

import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { zodParams } from '@hoso/nest-kit';
import type { Config } from '../../config';
import { CONFIG } from '../../core';
import { DevFileOtpDelivery, OTP_DELIVERY, type DeliveredOtp, type OtpDelivery } from './otp-delivery';

const ChallengeParams = z.object({ challengeId: z.uuid() });

const NO_CODE = 'no development code for this challenge';

/**
 * Development only (not even routed without HOSO_DEV_MODE=1): shows the one-time code the development delivery
 * wrote for a challenge, so the portal can be tried without a phone. Public, because the challenge id is random and
 * known only to whoever started the challenge; it names the code of that challenge and nothing else.
 */
@ApiTags('sign-in')
@Controller('auth/citizen/challenges')
export class DevOtpInboxHttpController {
  constructor(
    private readonly ds: DataSource,
    @Inject(OTP_DELIVERY) private readonly delivery: OtpDelivery,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Get(':challengeId/dev-code')
  @ApiOperation({
    summary: 'Development inbox: the one-time code sent for a challenge (absent outside development mode)',
  })
  async devCode(@Param(zodParams(ChallengeParams)) p: z.output<typeof ChallengeParams>): Promise<DeliveredOtp> {
    // Checked again here, not only when routing: a real delivery channel (an override) has no readable inbox.
    if (!this.config.devMode || !(this.delivery instanceof DevFileOtpDelivery)) throw new NotFoundException();
    const [challenge] = await this.ds.query<{ personal_id: string }[]>(
      'SELECT personal_id FROM otp_challenges WHERE id = $1',
      [p.challengeId],
    );
    const otp = challenge ? await this.delivery.read(challenge.personal_id, p.challengeId) : null;
    if (!otp) throw new NotFoundException(NO_CODE);
    return { challengeId: otp.challengeId, code: otp.code, expiresAt: otp.expiresAt };
  }
}

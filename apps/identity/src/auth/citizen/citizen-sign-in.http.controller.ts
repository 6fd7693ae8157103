import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { parsePersonalId } from '@hoso/population';
import type { TokenPair } from '../../tokens/session.service';
import { CitizenSignInHandler, type ChallengeCreated } from './citizen-sign-in.handler';

/** A well-formed personal ID: 12 digits, a known province code, a birth year that is not in the future. */
export const personalIdField = z.string().superRefine((id, ctx) => {
  const parsed = parsePersonalId(id);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const ChallengeBody = z.strictObject({ personalId: personalIdField });
type ChallengeBody = z.output<typeof ChallengeBody>;
const TokenBody = z.strictObject({
  challengeId: z.uuid(),
  code: z.string().regex(/^\d{6}$/, 'code must be 6 digits'),
});
type TokenBody = z.output<typeof TokenBody>;

@ApiTags('sign-in')
@Controller('auth/citizen')
export class CitizenSignInHttpController {
  constructor(@Inject(CitizenSignInHandler) private readonly handler: CitizenSignInHandler) {}

  @Public()
  @Post('challenges')
  @HttpCode(202)
  @ApiZodBody(ChallengeBody)
  @ApiOperation({
    summary: 'Send a one-time code to the citizen (VNeID-style)',
    description:
      'Always 202 for a well-formed ID: whether a code was sent (registered, alive, with a VNeID account) is not ' +
      'revealed. At most 3 requests per personal ID every 15 minutes (429).',
  })
  challenge(
    @Body(zodBody(ChallengeBody)) body: ChallengeBody,
    @CorrelationId() correlationId: string,
  ): Promise<ChallengeCreated> {
    return this.handler.startChallenge(body.personalId, correlationId);
  }

  @Public()
  @Post('tokens')
  @HttpCode(200)
  @ApiZodBody(TokenBody)
  @ApiOperation({ summary: 'Exchange a one-time code for an access and a refresh token (5 attempts per code)' })
  tokens(@Body(zodBody(TokenBody)) body: TokenBody, @CorrelationId() correlationId: string): Promise<TokenPair> {
    return this.handler.exchange(body.challengeId, body.code, correlationId);
  }
}

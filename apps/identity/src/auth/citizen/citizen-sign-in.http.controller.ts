import type { IncomingMessage } from 'node:http';
import { BadRequestException, Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { parsePersonalId } from '@hoso/population';
import type { Config } from '../../config';
import { CONFIG } from '../../core';
import type { TokenPair } from '../../tokens/session.service';
import { clientAddress } from '../staff/signin-throttle';
import { CitizenSignInHandler, type ChallengeCreated } from './citizen-sign-in.handler';
import { DEVICE_ID_HEADER, DEVICE_ID_PROBLEM, parseDeviceId, signInOrigin, type SignInOrigin } from './sign-in-limits';

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

const DEVICE_ID_DOC = {
  name: 'X-Device-Id',
  required: false,
  description:
    'A random id the client keeps (16 to 128 of A-Z, a-z, 0-9, "-", "_"). A device the citizen has signed in from ' +
    'is never held back by the limit per personal ID; without it the client is counted by its address.',
};

@ApiTags('sign-in')
@Controller('auth/citizen')
export class CitizenSignInHttpController {
  constructor(
    @Inject(CitizenSignInHandler) private readonly handler: CitizenSignInHandler,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Post('challenges')
  @HttpCode(202)
  @ApiHeader(DEVICE_ID_DOC)
  @ApiZodBody(ChallengeBody)
  @ApiOperation({
    summary: 'Send a one-time code to the citizen (VNeID-style)',
    description:
      'Always 202 for a well-formed ID: whether a code was sent (registered, alive, with a VNeID account) is not ' +
      'revealed. Limited per (personal ID, device), per personal ID (never on a device the citizen signed in from), ' +
      'per device and per address: 429 with Retry-After, the same for every ID.',
  })
  challenge(
    @Body(zodBody(ChallengeBody)) body: ChallengeBody,
    @Req() req: IncomingMessage,
    @CorrelationId() correlationId: string,
  ): Promise<ChallengeCreated> {
    return this.handler.startChallenge(body.personalId, this.originOf(req), correlationId);
  }

  @Public()
  @Post('tokens')
  @HttpCode(200)
  @ApiHeader(DEVICE_ID_DOC)
  @ApiZodBody(TokenBody)
  @ApiOperation({
    summary: 'Exchange a one-time code for an access and a refresh token (5 attempts per code)',
    description:
      'Failed exchanges are limited like code requests (429 with Retry-After, before the code is checked). A ' +
      'sign-in makes the device known for the personal ID.',
  })
  tokens(
    @Body(zodBody(TokenBody)) body: TokenBody,
    @Req() req: IncomingMessage,
    @CorrelationId() correlationId: string,
  ): Promise<TokenPair> {
    return this.handler.exchange(body.challengeId, body.code, this.originOf(req), correlationId);
  }

  private originOf(req: IncomingMessage): SignInOrigin {
    const deviceId = parseDeviceId(req.headers[DEVICE_ID_HEADER]);
    if (deviceId === undefined) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: DEVICE_ID_PROBLEM,
        issues: [{ path: 'X-Device-Id', message: DEVICE_ID_PROBLEM }],
      });
    }
    return signInOrigin(
      deviceId,
      clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.config.TRUST_PROXY),
    );
  }
}

import { Body, Controller, Get, Header, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { SessionService, type TokenPair } from './session.service';
import { SigningKeyStore } from './signing-key.store';

const RefreshBody = z.strictObject({ refreshToken: z.string().min(20).max(200) });
type RefreshBody = z.output<typeof RefreshBody>;

@ApiTags('tokens')
@Controller()
export class TokensHttpController {
  constructor(
    @Inject(SigningKeyStore) private readonly keys: SigningKeyStore,
    @Inject(SessionService) private readonly sessions: SessionService,
  ) {}

  @Public()
  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify hoso access and prefill tokens' })
  jwks() {
    return this.keys.jwks();
  }

  // Public: the refresh token in the body is the credential (the access token has usually expired by now).
  @Public()
  @Post('auth/refresh')
  @HttpCode(200)
  @ApiZodBody(RefreshBody)
  @ApiOperation({ summary: 'Rotate a refresh token: a new pair; the old refresh token stops working' })
  refresh(@Body(zodBody(RefreshBody)) body: RefreshBody, @CorrelationId() correlationId: string): Promise<TokenPair> {
    return this.sessions.refresh(body.refreshToken, correlationId);
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  @ApiZodBody(RefreshBody)
  @ApiOperation({ summary: 'End the session of a refresh token (idempotent)' })
  async logout(@Body(zodBody(RefreshBody)) body: RefreshBody, @CorrelationId() correlationId: string): Promise<void> {
    await this.sessions.logout(body.refreshToken, correlationId);
  }
}

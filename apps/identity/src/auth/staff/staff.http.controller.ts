import type { IncomingMessage } from 'node:http';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Public, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody, zodParams } from '@hoso/nest-kit';
import type { Config } from '../../config';
import { CONFIG } from '../../core';
import type { TokenPair } from '../../tokens/session.service';
import { clientAddress } from './signin-throttle';
import {
  StaffAccountsService,
  type EnrolledSignIn,
  type OwnAccount,
  type StaffAccount,
} from './staff-accounts.service';
import { agencyCodeProblem, USERNAME_PATTERN } from './staff-policy';

const SignInBody = z
  .strictObject({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
    /** The current code of the authenticator app, for accounts with TOTP. */
    totpCode: z
      .string()
      .regex(/^\d{6}$/, 'totpCode: 6 digits')
      .optional(),
    /** Instead of a TOTP code: one of the recovery codes, each usable once. */
    recoveryCode: z.string().min(1).max(64).optional(),
    /** For an account whose password must be changed (one-time password): the new one. */
    newPassword: z.string().min(1).max(256).optional(),
  })
  .refine((b) => !(b.totpCode && b.recoveryCode), { message: 'send totpCode or recoveryCode, not both' });
type SignInBody = z.output<typeof SignInBody>;

const CreateStaffBody = z.strictObject({
  username: z
    .string()
    .regex(USERNAME_PATTERN, 'username: 3-64 of a-z, 0-9, ".", "_", "-", starting and ending with a letter or digit'),
  agencyCode: z.string().superRefine((code, ctx) => {
    const problem = agencyCodeProblem(code);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  name: z.string().trim().min(1).max(200),
});
type CreateStaffBody = z.output<typeof CreateStaffBody>;

const IdParams = z.strictObject({ id: z.uuid() });
type IdParams = z.output<typeof IdParams>;

const ChangePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(256),
  newPassword: z.string().min(1).max(256),
});
type ChangePasswordBody = z.output<typeof ChangePasswordBody>;

const StartTotpBody = z.strictObject({ password: z.string().min(1).max(256) });
type StartTotpBody = z.output<typeof StartTotpBody>;

const ConfirmTotpBody = z.strictObject({ code: z.string().regex(/^\d{6}$/, 'code: 6 digits') });
type ConfirmTotpBody = z.output<typeof ConfirmTotpBody>;

/** The token a sign-in answered with `next: 'enrol-totp'` (43 base64url characters). */
const enrolmentToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'enrolmentToken: the token the sign-in answered');
const StartEnrolmentBody = z.strictObject({ enrolmentToken });
type StartEnrolmentBody = z.output<typeof StartEnrolmentBody>;
const ConfirmEnrolmentBody = z.strictObject({ enrolmentToken, code: z.string().regex(/^\d{6}$/, 'code: 6 digits') });
type ConfirmEnrolmentBody = z.output<typeof ConfirmEnrolmentBody>;

type StaffWithPassword = StaffAccount & { oneTimePassword: string };

@ApiTags('staff')
@Controller()
export class StaffHttpController {
  constructor(
    @Inject(StaffAccountsService) private readonly staff: StaffAccountsService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Post('auth/staff/tokens')
  @HttpCode(200)
  @ApiZodBody(SignInBody)
  @ApiOperation({
    summary: 'Officer or operator sign-in',
    description:
      'Unknown username, wrong password and disabled account all answer 401 "invalid username or password". ' +
      'A right password may need one more step, named by `next` in the refusal: `totp` (401: send totpCode or ' +
      'recoveryCode with the password), `change-password` (403: send newPassword with the one-time password) or ' +
      '`enrol-totp` (403, after any password change: TOTP is required and not set up; the answer carries an ' +
      '`enrolmentToken` for POST /auth/staff/totp-enrolment and …/confirm, valid `enrolmentExpiresInSec`). ' +
      'Repeated failures from one address are slowed down (429 with Retry-After), never locked.',
  })
  signIn(
    @Body(zodBody(SignInBody)) body: SignInBody,
    @Req() req: IncomingMessage,
    @CorrelationId() correlationId: string,
  ): Promise<TokenPair> {
    return this.staff.signIn(body, this.sourceOf(req), correlationId);
  }

  @Public()
  @Post('auth/staff/totp-enrolment')
  @HttpCode(200)
  @ApiZodBody(StartEnrolmentBody)
  @ApiOperation({
    summary: 'Start the TOTP enrolment a sign-in asked for (`next: enrol-totp`)',
    description:
      'The enrolment token stands in for the session the sign-in withheld; it opens nothing else. Answers the ' +
      'otpauth:// URI and the secret, once. 401 when the token is expired, spent or its account was changed.',
  })
  startEnrolment(
    @Body(zodBody(StartEnrolmentBody)) body: StartEnrolmentBody,
    @CorrelationId() correlationId: string,
  ): Promise<{ otpauthUri: string; secret: string }> {
    return this.staff.startEnrolment(body.enrolmentToken, correlationId);
  }

  @Public()
  @Post('auth/staff/totp-enrolment/confirm')
  @HttpCode(200)
  @ApiZodBody(ConfirmEnrolmentBody)
  @ApiOperation({
    summary: 'Confirm the TOTP enrolment of a sign-in with a first code: TOTP on, session opened',
    description:
      'Answers the token pair of the sign-in and the ten recovery codes, once. The enrolment token is spent.',
  })
  confirmEnrolment(
    @Body(zodBody(ConfirmEnrolmentBody)) body: ConfirmEnrolmentBody,
    @Req() req: IncomingMessage,
    @CorrelationId() correlationId: string,
  ): Promise<EnrolledSignIn> {
    return this.staff.confirmEnrolment(body.enrolmentToken, body.code, this.sourceOf(req), correlationId);
  }

  @Get('staff')
  @Roles('operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Every staff account (operators only)' })
  list(): Promise<StaffAccount[]> {
    return this.staff.list();
  }

  @Post('staff')
  @Roles('operator')
  @ApiBearerAuth()
  @ApiZodBody(CreateStaffBody)
  @ApiOperation({
    summary: 'Create an officer account for an agency (operators only)',
    description: 'The answer carries the one-time password, once; it must be changed at the first sign-in.',
  })
  create(
    @Body(zodBody(CreateStaffBody)) body: CreateStaffBody,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<StaffWithPassword> {
    return this.staff.create(body, user, correlationId);
  }

  @Post('staff/:id/disable')
  @Roles('operator')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Disable an account: it cannot sign in, its sessions end (operators only)' })
  disable(
    @Param(zodParams(IdParams)) params: IdParams,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<StaffAccount> {
    return this.staff.setDisabled(params.id, true, user, correlationId);
  }

  @Post('staff/:id/enable')
  @Roles('operator')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Re-enable a disabled account (operators only)' })
  enable(
    @Param(zodParams(IdParams)) params: IdParams,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<StaffAccount> {
    return this.staff.setDisabled(params.id, false, user, correlationId);
  }

  @Post('staff/:id/reset')
  @Roles('operator')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Reset an account (operators only)',
    description:
      'A new one-time password (in this answer only, to be changed at the next sign-in); TOTP and recovery codes ' +
      'are removed and every session ends.',
  })
  reset(
    @Param(zodParams(IdParams)) params: IdParams,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<StaffWithPassword> {
    return this.staff.reset(params.id, user, correlationId);
  }

  @Get('staff/me')
  @Roles('officer', 'operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in officer or operator: TOTP state, recovery codes left' })
  me(@CurrentUser() user: AuthUser): Promise<OwnAccount> {
    return this.staff.me(user);
  }

  @Post('staff/me/password')
  @Roles('officer', 'operator')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiZodBody(ChangePasswordBody)
  @ApiOperation({ summary: 'Change one’s own password (the current one is required)' })
  async changePassword(
    @Body(zodBody(ChangePasswordBody)) body: ChangePasswordBody,
    @CurrentUser() user: AuthUser,
    @Req() req: IncomingMessage,
    @CorrelationId() correlationId: string,
  ): Promise<void> {
    await this.staff.changeOwnPassword(user, body.currentPassword, body.newPassword, this.sourceOf(req), correlationId);
  }

  @Post('staff/me/totp')
  @Roles('officer', 'operator')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiZodBody(StartTotpBody)
  @ApiOperation({
    summary: 'Start TOTP enrolment (the password is required)',
    description: 'Answers the otpauth:// URI and the secret, once; TOTP is on after a code is confirmed.',
  })
  startTotp(
    @Body(zodBody(StartTotpBody)) body: StartTotpBody,
    @CurrentUser() user: AuthUser,
    @Req() req: IncomingMessage,
    @CorrelationId() correlationId: string,
  ): Promise<{ otpauthUri: string; secret: string }> {
    return this.staff.startTotp(user, body.password, this.sourceOf(req), correlationId);
  }

  @Post('staff/me/totp/confirm')
  @Roles('officer', 'operator')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiZodBody(ConfirmTotpBody)
  @ApiOperation({ summary: 'Confirm TOTP with a first code; answers the recovery codes, once' })
  confirmTotp(
    @Body(zodBody(ConfirmTotpBody)) body: ConfirmTotpBody,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<{ recoveryCodes: string[] }> {
    return this.staff.confirmTotp(user, body.code, correlationId);
  }

  private sourceOf(req: IncomingMessage): string {
    return clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.config.TRUST_PROXY);
  }
}

import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Public, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import type { TokenPair } from '../../tokens/session.service';
import { StaffAccountsService, type CreatedStaff } from './staff-accounts.service';
import { agencyCodeProblem, passwordProblem, USERNAME_PATTERN } from './staff-policy';

const SignInBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
type SignInBody = z.output<typeof SignInBody>;

const CreateStaffBody = z
  .strictObject({
    username: z
      .string()
      .regex(USERNAME_PATTERN, 'username: 3-64 of a-z, 0-9, ".", "_", "-", starting and ending with a letter or digit'),
    password: z.string(),
    agencyCode: z.string().superRefine((code, ctx) => {
      const problem = agencyCodeProblem(code);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    name: z.string().trim().min(1).max(200),
  })
  .superRefine((b, ctx) => {
    const problem = passwordProblem(b.password, b.username);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });
type CreateStaffBody = z.output<typeof CreateStaffBody>;

@ApiTags('staff')
@Controller()
export class StaffHttpController {
  constructor(@Inject(StaffAccountsService) private readonly staff: StaffAccountsService) {}

  @Public()
  @Post('auth/staff/tokens')
  @HttpCode(200)
  @ApiZodBody(SignInBody)
  @ApiOperation({
    summary: 'Officer or operator sign-in',
    description: '5 consecutive failures lock the account for 15 minutes (423).',
  })
  signIn(@Body(zodBody(SignInBody)) body: SignInBody, @CorrelationId() correlationId: string): Promise<TokenPair> {
    return this.staff.signIn(body.username, body.password, correlationId);
  }

  @Post('staff')
  @Roles('operator')
  @ApiBearerAuth()
  @ApiZodBody(CreateStaffBody)
  @ApiOperation({ summary: 'Create an officer account for an agency (operators only)' })
  create(
    @Body(zodBody(CreateStaffBody)) body: CreateStaffBody,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<CreatedStaff> {
    return this.staff.create(body, user, correlationId);
  }
}

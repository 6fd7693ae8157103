import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodQuery, zodQuery } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../tokens';
import { isDay } from './domain/period';
import { groupBys, queryRates } from './rates.query';

const day = z.string().refine(isDay, 'must be a calendar day YYYY-MM-DD (Vietnam time)');

const RatesQuerySchema = z
  .strictObject({
    groupBy: z.enum(groupBys).default('national'),
    from: day.optional(),
    to: day.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

const SummaryQuerySchema = z
  .strictObject({ from: day.optional(), to: day.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

@ApiTags('rates')
@ApiBearerAuth()
@Controller('rates')
export class RatesController {
  constructor(
    private readonly db: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Counts and rates per group over an inclusive range of Vietnam days; an officer sees their agency only. */
  @Get()
  @Roles('operator', 'officer')
  @ApiZodQuery(RatesQuerySchema)
  async rates(@Query(zodQuery(RatesQuerySchema)) q: z.output<typeof RatesQuerySchema>, @CurrentUser() user: AuthUser) {
    const now = this.clock.now();
    const range = { from: q.from ?? null, to: q.to ?? null };
    const rows = await queryRates(this.db, { groupBy: q.groupBy, range, now, agencyCode: scopeOf(user) });
    return { groupBy: q.groupBy, ...range, asOf: now.toISOString(), rows };
  }

  /** The national row (an officer's: their agency's totals). */
  @Get('summary')
  @Roles('operator', 'officer')
  @ApiZodQuery(SummaryQuerySchema)
  async summary(
    @Query(zodQuery(SummaryQuerySchema)) q: z.output<typeof SummaryQuerySchema>,
    @CurrentUser() user: AuthUser,
  ) {
    const now = this.clock.now();
    const range = { from: q.from ?? null, to: q.to ?? null };
    const [row] = await queryRates(this.db, { groupBy: 'national', range, now, agencyCode: scopeOf(user) });
    return { ...range, asOf: now.toISOString(), scope: scopeOf(user) ?? 'national', ...row };
  }
}

function scopeOf(user: AuthUser): string | undefined {
  return user.role === 'operator' ? undefined : (user.agencyCode ?? '');
}

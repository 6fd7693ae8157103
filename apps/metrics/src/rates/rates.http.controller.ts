import { BadRequestException, Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodQuery, zodQuery } from '@hoso/nest-kit';
import { computeRates, zeroCounts } from '@hoso/rates';
import { CLOCK, type Clock } from '../tokens';
import { isDay, vnDay } from './domain/period';
import { bucketCount, buckets, defaultRange, MAX_BUCKETS, trendPeriods } from './domain/trend';
import { groupBys, queryRates, ratesSummary } from './rates.query';

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

const trendScopes = ['national', 'agency', 'province', 'procedure'] as const;

const TrendQuerySchema = z
  .strictObject({
    scope: z.enum(trendScopes).default('national'),
    code: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be an agency, province or procedure code')
      .optional(),
    period: z.enum(trendPeriods).default('day'),
    from: day.optional(),
    to: day.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
  .refine((q) => (q.scope === 'national') === (q.code === undefined), {
    message: 'code is required for scope agency, province or procedure, and not allowed for national',
    path: ['code'],
  });

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
    const range = { from: q.from ?? null, to: q.to ?? null };
    return ratesSummary(this.db, { range, now: this.clock.now(), agencyCode: scopeOf(user) });
  }

  /**
   * The rates per day, week or month: each point is the `/rates` computation over that period's days (same facts,
   * same definitions), all read in one snapshot. Default range: 30 days, 12 weeks or 12 months up to `to` (today).
   */
  @Get('trend')
  @Roles('operator', 'officer')
  @ApiZodQuery(TrendQuerySchema)
  async trend(@Query(zodQuery(TrendQuerySchema)) q: z.output<typeof TrendQuerySchema>, @CurrentUser() user: AuthUser) {
    const now = this.clock.now();
    const today = vnDay(now);
    const to = q.to ?? (q.from && q.from > today ? q.from : today);
    const from = q.from ?? defaultRange(to, q.period).from;
    const count = bucketCount(from, to, q.period);
    if (count > MAX_BUCKETS) {
      throw new BadRequestException(
        `${from}..${to} is ${count} ${q.period}s: at most ${MAX_BUCKETS} points per request (use a longer period)`,
      );
    }
    const only = q.scope === 'national' || q.code === undefined ? undefined : { groupBy: q.scope, key: q.code };
    // One snapshot for every point, so a fact that changes meanwhile never shows in one point and not the next.
    const points = await this.db.transaction('REPEATABLE READ', async (m) => {
      const out = [];
      for (const b of buckets(from, to, q.period)) {
        const [row] = await queryRates(m, {
          groupBy: 'national',
          range: { from: b.from, to: b.to },
          now,
          agencyCode: scopeOf(user),
          only,
        });
        // "Overdue" is measured now, not in a period: the same number in every point would read as a trend.
        const { overdue: _overdue, ...counts } = row?.counts ?? zeroCounts();
        out.push({ ...b, counts, rates: row?.rates ?? computeRates(zeroCounts()) });
      }
      return out;
    });
    return { scope: q.scope, code: q.code ?? null, period: q.period, from, to, asOf: now.toISOString(), points };
  }
}

function scopeOf(user: AuthUser): string | undefined {
  return user.role === 'operator' ? undefined : (user.agencyCode ?? '');
}

import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Public, Roles, type AuthUser } from '@hoso/auth';
import { booleanFlag } from '@hoso/config';
import { ApiZodBody, ApiZodQuery, CorrelationId, zodBody, zodQuery } from '@hoso/nest-kit';
import { AGENCY_LEVELS } from '../catalog/data/types';
import { AdminUnitQueries, type Commune, type Province } from './admin-units.queries';
import { AgencyQueries, type Agency } from './agency.queries';
import { MergeUnitHandler, type MergeResult } from './merge-unit.handler';

const IncludeMerged = z.strictObject({ includeMerged: booleanFlag.default(false) });
const AgencyQuery = z.strictObject({
  provinceCode: z
    .string()
    .regex(/^\d{2}$/, 'province code must be 2 digits')
    .optional(),
  level: z.enum(AGENCY_LEVELS).optional(),
});
const MergeCommune = z.strictObject({ into: z.string().regex(/^\d{5}$/, 'a 5-digit commune code') });
const MergeProvince = z.strictObject({ into: z.string().regex(/^\d{2}$/, 'a 2-digit province code') });

@ApiTags('administrative units')
@Controller()
export class AdminUnitsHttpController {
  constructor(
    private readonly units: AdminUnitQueries,
    private readonly agencies: AgencyQueries,
    private readonly merges: MergeUnitHandler,
  ) {}

  /** The current provinces (34); `includeMerged=true` adds those merged into another. */
  @Public()
  @Get('provinces')
  @ApiZodQuery(IncludeMerged)
  provinces(@Query(zodQuery(IncludeMerged)) q: z.output<typeof IncludeMerged>): Promise<Province[]> {
    return this.units.provinces(q.includeMerged);
  }

  @Public()
  @Get('provinces/:code/communes')
  @ApiZodQuery(IncludeMerged)
  async communes(
    @Param('code') code: string,
    @Query(zodQuery(IncludeMerged)) q: z.output<typeof IncludeMerged>,
  ): Promise<Commune[]> {
    if (!(await this.units.provinceExists(code))) throw new NotFoundException(`no province ${code}`);
    return this.units.communes(code, q.includeMerged);
  }

  /** Agencies that receive dossiers (those of merged units are left out: their successors take new dossiers). */
  @Public()
  @Get('agencies')
  @ApiZodQuery(AgencyQuery)
  list(@Query(zodQuery(AgencyQuery)) q: z.output<typeof AgencyQuery>): Promise<Agency[]> {
    return this.agencies.list({
      ...(q.provinceCode ? { provinceCode: q.provinceCode } : {}),
      ...(q.level ? { level: q.level } : {}),
    });
  }

  @Public()
  @Get('agencies/:code')
  async agency(@Param('code') code: string): Promise<Agency> {
    const agency = await this.agencies.byCode(code);
    if (!agency) throw new NotFoundException(`no agency ${code}`);
    return agency;
  }

  /** Marks a commune merged into another; its agency's new dossiers go to the successor's agency. */
  @Post('admin-units/communes/:code/merge')
  @HttpCode(200)
  @Roles('operator')
  @ApiZodBody(MergeCommune)
  mergeCommune(
    @Param('code') code: string,
    @Body(zodBody(MergeCommune)) body: z.output<typeof MergeCommune>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<MergeResult> {
    return this.merges.mergeCommune(code, body.into, user, correlationId);
  }

  /** Marks a province merged into another; its communes move to the successor province. */
  @Post('admin-units/provinces/:code/merge')
  @HttpCode(200)
  @Roles('operator')
  @ApiZodBody(MergeProvince)
  mergeProvince(
    @Param('code') code: string,
    @Body(zodBody(MergeProvince)) body: z.output<typeof MergeProvince>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<MergeResult> {
    return this.merges.mergeProvince(code, body.into, user, correlationId);
  }
}

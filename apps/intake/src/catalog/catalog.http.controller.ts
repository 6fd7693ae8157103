import { BadRequestException, Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { ApiZodQuery, zodQuery } from '@hoso/nest-kit';
import { AgencyQueries } from '../admin-units/agency.queries';
import { CatalogQueries, type Procedure, type ProcedureSummary } from './catalog.queries';
import { AGENCY_LEVELS, AREAS, SERVICE_LEVELS } from './data/types';

const pageNumber = z.coerce.number().int().min(1).max(10_000).default(1);
const pageSize = z.coerce.number().int().min(1).max(100).default(20);

export const ProcedureQuery = z.strictObject({
  q: z.string().trim().max(200).optional(),
  area: z.enum(AREAS).optional(),
  agencyLevel: z.enum(AGENCY_LEVELS).optional(),
  serviceLevel: z.enum(SERVICE_LEVELS).optional(),
  agency: z.string().trim().min(2).max(64).optional(),
  page: pageNumber,
  pageSize,
});

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

@ApiTags('catalog')
@Controller()
export class CatalogHttpController {
  constructor(
    private readonly catalog: CatalogQueries,
    private readonly agencies: AgencyQueries,
  ) {}

  /** Search and filter the procedure catalog (accent-insensitive over Vietnamese and English names). */
  @Public()
  @Get('procedures')
  @ApiZodQuery(ProcedureQuery)
  async search(
    @Query(zodQuery(ProcedureQuery)) query: z.output<typeof ProcedureQuery>,
  ): Promise<Page<ProcedureSummary>> {
    let agency: { code: string; level: (typeof AGENCY_LEVELS)[number] } | undefined;
    if (query.agency) {
      const found = await this.agencies.byCode(query.agency);
      if (!found) throw new BadRequestException(`unknown agency ${query.agency}`);
      agency = { code: found.code, level: found.level };
    }
    const { items, total } = await this.catalog.search({
      ...(query.q ? { q: query.q } : {}),
      ...(query.area ? { area: query.area } : {}),
      ...(query.agencyLevel ? { agencyLevel: query.agencyLevel } : {}),
      ...(query.serviceLevel ? { serviceLevel: query.serviceLevel } : {}),
      ...(agency ? { agency } : {}),
      page: query.page,
      pageSize: query.pageSize,
    });
    return { items, page: query.page, pageSize: query.pageSize, total };
  }

  /** One procedure with its required documents and e-form definition. */
  @Public()
  @Get('procedures/:code')
  async byCode(@Param('code') code: string): Promise<Procedure> {
    const procedure = await this.catalog.byCode(code);
    if (!procedure) throw new NotFoundException(`no procedure ${code}`);
    return procedure;
  }

  /** Procedure areas (lĩnh vực) with the number of procedures in each. */
  @Public()
  @Get('areas')
  areas() {
    return this.catalog.areas();
  }
}

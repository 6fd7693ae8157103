import { Module } from '@nestjs/common';
import { AdminUnitsHttpController } from '../admin-units/admin-units.http.controller';
import { AdminUnitQueries } from '../admin-units/admin-units.queries';
import { AgencyQueries } from '../admin-units/agency.queries';
import { MergeUnitHandler } from '../admin-units/merge-unit.handler';
import { CatalogHttpController } from './catalog.http.controller';
import { CatalogQueries } from './catalog.queries';
import { ReferenceCache } from './reference-cache';

/** Reference data: the procedure catalog, administrative units and agencies. */
@Module({
  controllers: [CatalogHttpController, AdminUnitsHttpController],
  providers: [CatalogQueries, AgencyQueries, AdminUnitQueries, MergeUnitHandler, ReferenceCache],
  exports: [CatalogQueries, AgencyQueries, ReferenceCache],
})
export class CatalogModule {}

import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '@hoso/auth';
import { CorrelationId } from '@hoso/nest-kit';
import { Reconcile } from './reconcile.handler';

@ApiTags('reconciliation')
@ApiBearerAuth()
@Controller('payments/reconciliations')
export class ReconciliationsController {
  constructor(private readonly reconcile: Reconcile) {}

  /** Runs a reconciliation against the gateway's ledger now and returns its report. */
  @Post()
  @HttpCode(200)
  @Roles('operator')
  run(@CorrelationId() correlationId: string) {
    return this.reconcile.run(correlationId);
  }
}

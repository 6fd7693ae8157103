import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { CorrelationId, recordAuditApart } from '@hoso/nest-kit';
import { ROOT_LOGGER } from '../tokens';
import { Reconcile, type ReconciliationReport } from './reconcile.handler';

@ApiTags('reconciliation')
@ApiBearerAuth()
@Controller('payments/reconciliations')
export class ReconciliationsController {
  constructor(
    private readonly reconcile: Reconcile,
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs a reconciliation against the gateway's ledger now and returns its report; audited. */
  @Post()
  @HttpCode(200)
  @Roles('operator')
  async run(@CurrentUser() user: AuthUser, @CorrelationId() correlationId: string) {
    const actor = { sub: user.sub, role: user.role };
    // A run completes or fails payments and expires intents, each in a transaction of its own (the callbacks' and
    // the expiry jobs' code): there is no one transaction to record it in, so it is recorded in a short one of its
    // own right after it, failed or not (a crash in between loses the record of changes that stay made).
    let report: ReconciliationReport;
    try {
      report = await this.reconcile.run(correlationId);
    } catch (e) {
      await recordAuditApart(this.ds, this.logger, {
        action: 'payment.reconcile',
        outcome: 'failed',
        actor,
        reason: e instanceof Error ? e.message : String(e),
        correlationId,
      });
      throw e;
    }
    await recordAuditApart(
      this.ds,
      this.logger,
      {
        action: 'payment.reconcile',
        outcome: 'allowed',
        actor,
        resource: `reconciliation:${report.startedAt}`,
        reason: `repaired ${report.repaired.length}, expired ${report.expired.length}, differences ${report.differences.length}`,
        correlationId,
      },
      // What the run changed, by payment; the differences are only reported (the answer lists them), so counted.
      {
        since: report.since,
        ledgerEntries: report.ledgerEntries,
        repaired: report.repaired,
        expired: report.expired,
        differences: report.differences.length,
      },
    );
    return report;
  }
}

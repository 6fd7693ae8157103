import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CatalogModule } from '../catalog/catalog.module';
import { AttachSupplementHandler } from './attach-supplement/attach-supplement.handler';
import { AttachSupplementHttpController } from './attach-supplement/attach-supplement.http.controller';
import { DossierRepository } from './dossier.repository';
import { OutboxBacklogGauge } from './outbox-backlog.gauge';
import { ReadDossiersHttpController } from './read-dossiers/read-dossiers.http.controller';
import { StatusProjectionConsumer } from './status-projection/status-projection.consumer';
import { PREFILL_VERIFIER, PrefillVerifier } from './submit-dossier/prefill-verifier';
import { DEFAULT_RECEIPT_BLOCK_SIZE, ReceiptNumbers } from './submit-dossier/receipt-numbers';
import { SubmitDossierHandler } from './submit-dossier/submit-dossier.handler';
import { SubmitDossierHttpController } from './submit-dossier/submit-dossier.http.controller';
import { WithdrawDossierHandler } from './withdraw-dossier/withdraw-dossier.handler';
import { WithdrawDossierHttpController } from './withdraw-dossier/withdraw-dossier.http.controller';

@Module({})
export class DossiersModule {
  /** `receiptBlockSize`: most receipt numbers reserved per agency and day at a time (RECEIPT_BLOCK_SIZE). */
  static forRoot(options: { jwksUrl: string; receiptBlockSize?: number }): DynamicModule {
    return {
      module: DossiersModule,
      imports: [CatalogModule],
      controllers: [
        // Kafka event handlers (@EventPattern), served by the messaging transport.
        StatusProjectionConsumer,
        SubmitDossierHttpController,
        ReadDossiersHttpController,
        WithdrawDossierHttpController,
        AttachSupplementHttpController,
      ],
      providers: [
        DossierRepository,
        SubmitDossierHandler,
        WithdrawDossierHandler,
        AttachSupplementHandler,
        OutboxBacklogGauge,
        { provide: PREFILL_VERIFIER, useValue: new PrefillVerifier(options.jwksUrl) },
        {
          provide: ReceiptNumbers,
          inject: [DataSource],
          useFactory: (ds: DataSource) =>
            new ReceiptNumbers(ds, options.receiptBlockSize ?? DEFAULT_RECEIPT_BLOCK_SIZE),
        },
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { AttachSupplementHandler } from './attach-supplement/attach-supplement.handler';
import { AttachSupplementHttpController } from './attach-supplement/attach-supplement.http.controller';
import { DossierRepository } from './dossier.repository';
import { OutboxBacklogGauge } from './outbox-backlog.gauge';
import { ReadDossiersHttpController } from './read-dossiers/read-dossiers.http.controller';
import { StatusProjectionConsumer } from './status-projection/status-projection.consumer';
import { PREFILL_VERIFIER, PrefillVerifier } from './submit-dossier/prefill-verifier';
import { SubmitDossierHandler } from './submit-dossier/submit-dossier.handler';
import { SubmitDossierHttpController } from './submit-dossier/submit-dossier.http.controller';
import { WithdrawDossierHandler } from './withdraw-dossier/withdraw-dossier.handler';
import { WithdrawDossierHttpController } from './withdraw-dossier/withdraw-dossier.http.controller';

@Module({})
export class DossiersModule {
  static forRoot(options: { jwksUrl: string }): DynamicModule {
    return {
      module: DossiersModule,
      imports: [CatalogModule],
      controllers: [
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
        StatusProjectionConsumer,
        OutboxBacklogGauge,
        { provide: PREFILL_VERIFIER, useValue: new PrefillVerifier(options.jwksUrl) },
      ],
    };
  }
}

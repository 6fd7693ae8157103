import { createRootLogger, runService } from '@hoso/nest-kit';
import { intakeRootModule } from './app.module';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('intake', config.LOG_LEVEL);
void runService(intakeRootModule(config, logger), {
  name: 'intake',
  title: 'hoso intake',
  description:
    'Procedure catalog, administrative units and agencies, attachments, dossier submission (idempotent, ' +
    'transactional outbox), citizen reads, withdrawal, and the dossier status projection.',
  logger,
  port: config.PORT,
  host: config.HOST,
  heapGrowingPercent: config.HEAP_GROWING_PERCENT,
});

import { createRootLogger, runService } from '@hoso/nest-kit';
import { rootModule } from './app.module';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('payment', config.LOG_LEVEL);
void runService(rootModule(config, logger), {
  name: 'payment',
  title: 'hoso payment',
  description:
    'Fees and exemptions, payment intents, signed gateway callbacks, expiry, reconciliation with the gateway ledger, refunds.',
  logger,
  port: config.PORT,
  host: config.HOST,
  heapGrowingPercent: config.HEAP_GROWING_PERCENT,
});

import { createRootLogger, runService } from '@hoso/nest-kit';
import { rootModule } from './app.module';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('payment-gateway', config.LOG_LEVEL);
void runService(rootModule(config, logger), {
  name: 'payment-gateway',
  title: 'hoso payment-gateway simulator',
  description:
    'Stands for the national payment platform: checkout sessions, signed result callbacks, a ledger to reconcile against, refunds.',
  logger,
  port: config.PORT,
  host: config.HOST,
  heapGrowingPercent: config.HEAP_GROWING_PERCENT,
});

import { createRootLogger, runService } from '@hoso/nest-kit';
import { AppModule } from './app.module';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('metrics', config.LOG_LEVEL);
void runService(AppModule.forRoot(config, logger), {
  name: 'metrics',
  title: 'hoso metrics',
  description:
    'Projections of every dossier event into the rates of the national programme (completion, on-time, ' +
    'end-to-end, online submission and payment, digitisation, satisfaction, overdue), completion-rate snapshots, ' +
    'and operator readouts of topic throughput, dead letters and consumer lag.',
  logger,
  port: config.PORT,
  host: config.HOST,
  heapGrowingPercent: config.HEAP_GROWING_PERCENT,
});

import { createRootLogger, runService } from '@hoso/nest-kit';
import { AppModule } from './app.module';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('case-tracking', config.LOG_LEVEL);
void runService(AppModule.forRoot(config, logger), {
  name: 'case-tracking',
  title: 'hoso case-tracking',
  description:
    'Cases opened from verified and paid dossiers: state machine, officer queues, SLA clocks on working days, results, timeline, ratings.',
  logger,
  port: config.PORT,
  host: config.HOST,
  heapGrowingPercent: config.HEAP_GROWING_PERCENT,
});

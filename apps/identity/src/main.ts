import { createRootLogger, runService } from '@hoso/nest-kit';
import { identityApp } from './app.module';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('identity', config.LOG_LEVEL);
void runService(identityApp(config, logger), {
  name: 'identity',
  title: 'hoso identity',
  description:
    'Population registry lookups, VNeID-style citizen sign-in, officer and operator sign-in, token issuing (JWKS), ' +
    'e-form prefill, and applicant verification of submitted dossiers.',
  logger,
  port: config.PORT,
  host: config.HOST,
  heapGrowingPercent: config.HEAP_GROWING_PERCENT,
});

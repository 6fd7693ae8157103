import { createRootLogger } from '@hoso/nest-kit';
import { runGateway } from './app';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('gateway', config.LOG_LEVEL);
void runGateway(config, logger);

import { applyHeapGrowing, createRootLogger, startTracing } from '@hoso/nest-kit';
import { runGateway } from './app';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createRootLogger('gateway', config.LOG_LEVEL);
try {
  applyHeapGrowing(config.HEAP_GROWING_PERCENT);
  // The gateway is built apart from runService, which starts tracing for the services: its proxied requests carry
  // the trace context to the service they reach.
  startTracing('gateway');
} catch (e) {
  logger.fatal({ err: e }, 'gateway failed to start');
  process.exit(1);
}
void runGateway(config, logger);

export {
  DEFAULT_CONFIG_FILE,
  defaultSimulatorConfig,
  loadSimulatorConfig,
  parseSimulatorConfig,
  SimulatorConfig,
  SimulatorConfigError,
} from './config';
export { formatRateTable, type RateComparison, type RateName } from './rates';
export { citizenOrigin } from './sessions';
export { Simulator } from './simulator';
export * from './types';

import { PLATFORM_MIGRATIONS } from '@hoso/nest-kit';
import { MetricsSchema1764500000000 } from './1764500000000-metrics-schema';

export const METRICS_MIGRATIONS = [...PLATFORM_MIGRATIONS, MetricsSchema1764500000000];

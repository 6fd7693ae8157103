import { MessagingTables1764115200000 } from '@hoso/messaging';
import { MetricsSchema1764500000000 } from './1764500000000-metrics-schema';

export const METRICS_MIGRATIONS = [MessagingTables1764115200000, MetricsSchema1764500000000];

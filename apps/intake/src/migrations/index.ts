import { MessagingTables1764115200000 } from '@hoso/messaging';
import { IntakeSchema1764201600000 } from './1764201600000-intake-schema';

/** Every migration of the intake database, in order. */
export const INTAKE_MIGRATIONS = [MessagingTables1764115200000, IntakeSchema1764201600000];

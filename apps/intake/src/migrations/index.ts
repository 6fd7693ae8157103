import { PLATFORM_MIGRATIONS } from '@hoso/nest-kit';
import { IntakeSchema1764201600000 } from './1764201600000-intake-schema';
import { AttachmentPurpose1764201600001 } from './1764201600001-attachment-purpose';
import { DossierChangeFeed1764900000000 } from './1764900000000-dossier-change-feed';
import { SubmissionFastPath1764901000000 } from './1764901000000-submission-fast-path';
import { AttachmentQuotaPurge1765000000000 } from './1765000000000-attachment-quota-purge';

/** Every migration of the intake database, in order. */
export const INTAKE_MIGRATIONS = [
  ...PLATFORM_MIGRATIONS,
  IntakeSchema1764201600000,
  AttachmentPurpose1764201600001,
  DossierChangeFeed1764900000000,
  SubmissionFastPath1764901000000,
  AttachmentQuotaPurge1765000000000,
];

import { PLATFORM_MIGRATIONS } from '@hoso/nest-kit';
import { CaseSchema1764400000000 } from './1764400000000-case-schema';
import { CommittedSideEffects1764500000000 } from './1764500000000-committed-side-effects';
import { SignedResults1765100000000 } from './1765100000000-signed-results';
import { ResultKeysSecretBox1766600000000 } from './1766600000000-result-keys-secret-box';

/** Every migration of the case-tracking database, in order (the service and its commands apply the same list). */
export const CASE_MIGRATIONS = [
  ...PLATFORM_MIGRATIONS,
  CaseSchema1764400000000,
  CommittedSideEffects1764500000000,
  SignedResults1765100000000,
  ResultKeysSecretBox1766600000000,
];

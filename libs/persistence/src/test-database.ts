import { randomBytes } from 'node:crypto';
import { withDatabase } from '@hoso/config';
import { dropDatabase, ensureDatabase } from './data-source';

/**
 * A fresh database for one test file on the shared server, so tests never see each other's rows
 * or leftovers of an earlier run. Call `drop()` in afterAll.
 */
export async function createTestDatabase(
  adminUrl: string,
  prefix = 'hoso_test',
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await ensureDatabase(adminUrl, name);
  return { name, url: withDatabase(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}

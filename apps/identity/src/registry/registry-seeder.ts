import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { generateCitizenBatch } from '@hoso/population';
import { insertCitizens } from './citizen.repository';

export const SEED_BATCH_SIZE = 5000;

export interface SeedResult {
  /** False when the registry already had rows (nothing was done). */
  seeded: boolean;
  count: number;
  ms: number;
}

/**
 * Fills an empty registry with the deterministic synthetic population. One transaction for the whole registry, so a
 * crash half-way leaves it empty (and the next start seeds again) rather than half-filled; an advisory lock makes a
 * second instance starting at the same time wait and then find the rows.
 */
export async function seedRegistry(
  ds: DataSource,
  opts: { count: number; seed: number; logger: Logger },
): Promise<SeedResult> {
  const started = process.hrtime.bigint();
  const seeded = await ds.transaction(async (m) => {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('identity:seed-registry'))`);
    const existing: unknown[] = await m.query('SELECT 1 FROM citizens LIMIT 1');
    if (existing.length > 0 || opts.count === 0) return false;
    for (let start = 0; start < opts.count; start += SEED_BATCH_SIZE) {
      await insertCitizens(m, generateCitizenBatch(opts.seed, start, Math.min(SEED_BATCH_SIZE, opts.count - start)));
    }
    return true;
  });
  if (seeded) await ds.query('ANALYZE citizens');
  const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  if (seeded) opts.logger.info({ count: opts.count, seed: opts.seed, ms }, 'population registry seeded');
  return { seeded, count: opts.count, ms };
}

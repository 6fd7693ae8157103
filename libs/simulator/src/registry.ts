/**
 * The citizens the simulator plays: the identity service's registry, regenerated locally from the same generator
 * and seed (nothing is read from identity's database). Only indexes are kept; a record is regenerated on use.
 */
import { citizenAt, generateCitizens, type CitizenRecord } from '@hoso/population';
import { Rng } from './random';

/** Adults at the registry's reference date (1 January 2026): born on or before 1 January 2008. */
const ADULT_BORN_BY = '2008-01-01';

interface Pool {
  indexes: number[];
  /** Dossiers handed out from this pool so far. */
  cursor: number;
}

export class CitizenPools {
  /** `${province}/${minLevel}` → shuffled indexes of living adults with at least that VNeID level. */
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly registrySeed: number,
    registrySize: number,
    seed: number,
    /** Consecutive dossiers of a pool filed by the same citizen (one sign-in serves them all). */
    private readonly dossiersPerCitizen = 1,
  ) {
    if (!Number.isInteger(dossiersPerCitizen) || dossiersPerCitizen < 1) {
      throw new RangeError(`dossiersPerCitizen must be a positive integer, got ${dossiersPerCitizen}`);
    }
    const lists = new Map<string, number[]>();
    const add = (key: string, i: number) => {
      const list = lists.get(key);
      if (list) list.push(i);
      else lists.set(key, [i]);
    };
    let i = 0;
    for (const c of generateCitizens({ count: registrySize, seed: registrySeed })) {
      // Level 0 has no VNeID account to sign in with; children and the dead file no dossiers.
      if (!c.deceased && c.vneidLevel >= 1 && c.birthDate <= ADULT_BORN_BY) {
        for (let level = 1; level <= c.vneidLevel; level++) {
          add(`${c.currentProvinceCode}/${level}`, i);
          add(`*/${level}`, i);
        }
      }
      i++;
    }
    const rng = new Rng(seed, 'citizens');
    for (const [key, indexes] of [...lists.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.pools.set(key, { indexes: rng.shuffle(indexes), cursor: 0 });
    }
  }

  /**
   * The next citizen of the province with at least `minLevel` (any province when it has none). The pool is walked
   * in a seeded order, each citizen filing `dossiersPerCitizen` dossiers in a row; citizens come back only once
   * the pool is used up, and a returning citizen reuses their session.
   */
  next(provinceCode: string, minLevel: number): CitizenRecord {
    const level = Math.max(1, minLevel);
    const pool = this.pools.get(`${provinceCode}/${level}`) ?? this.pools.get(`*/${level}`);
    if (!pool || pool.indexes.length === 0) {
      throw new Error(`the registry has no living adult with a level-${level} VNeID account`);
    }
    const index = pool.indexes[Math.floor(pool.cursor / this.dossiersPerCitizen) % pool.indexes.length] as number;
    pool.cursor++;
    return citizenAt(this.registrySeed, index);
  }

  size(provinceCode: string, minLevel: number): number {
    return this.pools.get(`${provinceCode}/${Math.max(1, minLevel)}`)?.indexes.length ?? 0;
  }
}

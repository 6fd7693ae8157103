import type { DataSource } from 'typeorm';
import type { Catalog, EventOf } from '@hoso/contracts';
import { createDataSource, createTestDatabase, runMigrations } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';
import { METRICS_MIGRATIONS } from '../migrations';
import { compareProjections } from '../replay/replay';
import { scenario, type ScriptedEvent } from '../testing/scenario';
import { consumedTopics, projectEvents, projectMixed, type ConsumedTopic } from './project-event';

/**
 * The set-based projection against the one-event-at-a-time application it replaced: the same fact rows and the
 * same numbers whatever the grouping, the order inside a set, or a dossier's events repeated inside one set
 * (which the UPDATE folds into one patch per dossier), and with every topic's events mixed in one set (the replay).
 */
describe('metrics projection in sets (real PostgreSQL)', () => {
  const now = new Date();
  const events = scenario(now).events.filter((e): e is ScriptedEvent<ConsumedTopic> =>
    (consumedTopics as readonly string[]).includes(e.topic),
  );
  const dbs: { ds: DataSource; drop: () => Promise<void> }[] = [];

  async function database(): Promise<DataSource> {
    const db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_metrics_sets');
    const ds = createDataSource({ url: db.url, applicationName: 'metrics-sets', migrations: METRICS_MIGRATIONS });
    await ds.initialize();
    await runMigrations(ds);
    dbs.push({ ds, drop: db.drop });
    return ds;
  }

  const asEvent = (e: ScriptedEvent<ConsumedTopic>) => ({ payload: e.payload }) as EventOf<Catalog, ConsumedTopic>;

  /** Each topic's events in one call, topics in the given order, each set in the given order. */
  async function applyInSets(ds: DataSource, sets: [ConsumedTopic, ScriptedEvent<ConsumedTopic>[]][]) {
    await ds.transaction(async (m) => {
      for (const [topic, list] of sets) await projectEvents(topic, list.map(asEvent), m);
    });
  }

  async function applyOneByOne(ds: DataSource, list: ScriptedEvent<ConsumedTopic>[]) {
    for (const e of list) await ds.transaction((m) => projectEvents(e.topic, [asEvent(e)], m));
  }

  const byTopic = (list: ScriptedEvent<ConsumedTopic>[]) => {
    const m = new Map<ConsumedTopic, ScriptedEvent<ConsumedTopic>[]>();
    for (const e of list) m.set(e.topic, [...(m.get(e.topic) ?? []), e]);
    return [...m];
  };

  /** A fixed permutation (xorshift), so a failure is reproducible. */
  function shuffled<T>(list: T[], seed: number): T[] {
    const out = [...list];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const j = Math.abs(s) % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  let reference: DataSource;

  beforeAll(async () => {
    reference = await database();
    await applyOneByOne(reference, events);
  });

  afterAll(async () => {
    for (const { ds, drop } of dbs) {
      await ds.destroy();
      await drop();
    }
  });

  it('projects the scenario one event at a time (the reference): dimensions from the submission win', async () => {
    const rows = await reference.query<{ n: string; from_submission: string; completed: string }[]>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE dims_from_submission) AS from_submission,
              count(*) FILTER (WHERE completed_at IS NOT NULL) AS completed
       FROM metrics_dossier_facts`,
    );
    expect(rows[0]).toEqual({ n: '6', from_submission: '6', completed: '3' });
  });

  it('gives the same facts and numbers with each topic applied as one set, topics and sets in reverse order', async () => {
    const ds = await database();
    await applyInSets(
      ds,
      byTopic(events)
        .reverse()
        .map(([t, list]) => [t, [...list].reverse()]),
    );
    expect(await compareProjections(reference, ds, now)).toEqual([]);
  });

  it('gives the same with every event twice inside its set (folded) and in shuffled orders', async () => {
    for (const seed of [7, 42, 1234]) {
      const ds = await database();
      const doubled = shuffled([...events, ...events], seed);
      await applyInSets(ds, shuffled(byTopic(doubled), seed + 1));
      expect(await compareProjections(reference, ds, now)).toEqual([]);
    }
  });

  it('gives the same with all topics mixed in one set, whole or in chunks, repeated and shuffled (folded per dossier)', async () => {
    for (const [seed, chunk] of [
      [5, Infinity],
      [17, 7],
      [29, 3],
    ] as const) {
      const ds = await database();
      const doubled = shuffled([...events, ...events], seed);
      await ds.transaction(async (m) => {
        for (let i = 0; i < doubled.length; i += Number.isFinite(chunk) ? chunk : doubled.length) {
          const part = doubled.slice(i, i + (Number.isFinite(chunk) ? chunk : doubled.length));
          await projectMixed(
            part.map((e) => ({ topic: e.topic, event: asEvent(e) })),
            m,
          );
        }
      });
      expect(await compareProjections(reference, ds, now)).toEqual([]);
    }
  });

  it('gives the same applied one by one in a shuffled order', async () => {
    const ds = await database();
    await applyOneByOne(ds, shuffled(events, 99));
    expect(await compareProjections(reference, ds, now)).toEqual([]);
  });

  it('detects a difference (the comparison is not vacuous)', async () => {
    const ds = await database();
    await applyInSets(ds, byTopic(events.filter((e) => e.topic !== 'case.completed.v1')));
    expect((await compareProjections(reference, ds, now)).length).toBeGreaterThan(0);
  });
});

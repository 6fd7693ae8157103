import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Harness } from './harness';
import { IdempotentConsumer, type ConsumerOptions } from '../consumer';
import { Outbox } from '../outbox';

type C = Harness['catalog'];

/** The effect every test consumer has: one row in `effects` per handled event (no unique constraint). */
export function recordEffect(name: string) {
  return async (
    event: { eventId: string; dossierId: string | null; payload: { seq: number } },
    ctx: { manager: EntityManager },
  ) => {
    await ctx.manager.query('INSERT INTO effects (consumer, event_id, dossier_id, seq) VALUES ($1, $2, $3, $4)', [
      name,
      event.eventId,
      event.dossierId,
      event.payload.seq,
    ]);
  };
}

export function makeConsumer(
  h: Harness,
  groupId: string,
  extra: Partial<ConsumerOptions<C>> = {},
): IdempotentConsumer<C> {
  return new IdempotentConsumer<C>({
    kafka: h.kafka,
    catalog: h.catalog,
    dataSource: h.ds,
    producer: h.producer,
    logger: h.logger,
    groupId,
    handlers: { [h.topic]: recordEffect(groupId) },
    initialBackoffMs: 10,
    ...extra,
  });
}

/** Writes `perDossier` business rows for each of `dossiers` new dossiers, one transaction per row with its event. */
export async function writeBusiness(
  h: Harness,
  dossiers: number,
  perDossier: number,
): Promise<{ dossierIds: string[]; eventIds: string[] }> {
  const outbox = new Outbox(h.catalog, 'test');
  const dossierIds = Array.from({ length: dossiers }, () => randomUUID());
  const eventIds: string[] = [];
  await Promise.all(
    dossierIds.map(async (dossierId) => {
      for (let seq = 0; seq < perDossier; seq++) {
        await h.ds.transaction(async (m) => {
          await m.query('INSERT INTO business (dossier_id, seq) VALUES ($1, $2)', [dossierId, seq]);
          eventIds.push(
            await outbox.add(
              m,
              h.topic as keyof C,
              { seq, note: 'ok' },
              { dossierId, correlationId: `corr-${dossierId}` },
            ),
          );
        });
      }
    }),
  );
  return { dossierIds, eventIds };
}

/** Dossiers whose effects did not arrive in seq order 0..n-1. */
export async function outOfOrderDossiers(h: Harness, consumer?: string): Promise<string[]> {
  const rows = await h.ds.query<{ dossier_id: string; seqs: number[] }[]>(
    `SELECT dossier_id, array_agg(seq ORDER BY id) AS seqs FROM effects ${consumer ? 'WHERE consumer = $1' : ''} GROUP BY dossier_id`,
    consumer ? [consumer] : [],
  );
  return rows.filter((r) => r.seqs.some((s, i) => s !== i)).map((r) => r.dossier_id);
}

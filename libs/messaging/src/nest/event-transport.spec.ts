import { Controller } from '@nestjs/common';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { catalog } from '@hoso/contracts';
import { EventContext, EventPattern, KafkaEventTransport } from './event-transport';

type Ev<T extends Topic> = EventOf<Catalog, T>;

// Compile-time checks (tsc runs over specs in `npm test`): the topic and the handler's payload type must agree.
@Controller()
export class TypedHandlers {
  @EventPattern('dossier.submitted.v1')
  async onSubmitted(e: Ev<'dossier.submitted.v1'>, ctx: EventContext): Promise<void> {
    await Promise.resolve([e.payload.receiptCode, ctx.topic]);
  }

  // @ts-expect-error the payload of identity.verified.v1 is not a dossier.submitted.v1 event
  @EventPattern('identity.verified.v1')
  async wrongPayload(e: Ev<'dossier.submitted.v1'>): Promise<void> {
    await Promise.resolve(e.payload.receiptCode);
  }

  @EventPattern('case.status-changed.v1', { batch: true, when: (e) => e.payload.to === 'REJECTED' })
  async batch(events: readonly Ev<'case.status-changed.v1'>[]): Promise<void> {
    await Promise.resolve(events.length);
  }

  // @ts-expect-error a batch handler takes an array of events
  @EventPattern('case.rated.v1', { batch: true })
  async batchOfOne(e: Ev<'case.rated.v1'>): Promise<void> {
    await Promise.resolve(e);
  }
}

describe('KafkaEventTransport', () => {
  const noop = { start: () => Promise.resolve(), stop: () => Promise.resolve() };

  it('maps registered event handlers by topic, batch and filter included', async () => {
    const t = new KafkaEventTransport(catalog, noop);
    const seen: unknown[] = [];
    t.addHandler('dossier.submitted.v1', (data: unknown) => Promise.resolve(seen.push(data)), true, {});
    t.addHandler('case.status-changed.v1', (data: unknown) => Promise.resolve(seen.push(data)), true, {
      batch: true,
      accepts: (e: Ev<'case.status-changed.v1'>) => e.payload.to === 'REJECTED',
    });
    const map = t.handlerMap();
    expect(Object.keys(map).sort()).toEqual(['case.status-changed.v1', 'dossier.submitted.v1']);
    const batch = map['case.status-changed.v1'];
    expect(batch && typeof batch === 'object' && 'batch' in batch).toBe(true);
    if (batch && typeof batch === 'object' && 'batch' in batch) {
      expect(batch.accepts?.({ payload: { to: 'REJECTED' } } as Ev<'case.status-changed.v1'>)).toBe(true);
      expect(batch.accepts?.({ payload: { to: 'RECEIVED' } } as Ev<'case.status-changed.v1'>)).toBe(false);
      await batch.batch([], {
        manager: null as never,
        topic: 't',
        partition: 0,
        offset: '0',
        attempt: 1,
        afterCommit: () => undefined,
      });
      expect(seen).toEqual([[]]);
    }
  });

  it('refuses two handlers for one topic, an unknown topic, and request/response patterns', () => {
    const twice = new KafkaEventTransport(catalog, noop);
    twice.addHandler('case.rated.v1', () => Promise.resolve(), true);
    twice.addHandler('case.rated.v1', () => Promise.resolve(), true);
    expect(() => twice.handlerMap()).toThrow('two handlers for case.rated.v1');

    const unknown = new KafkaEventTransport(catalog, noop);
    unknown.addHandler('nothing.here.v1', () => Promise.resolve(), true);
    expect(() => unknown.handlerMap()).toThrow('unknown topic');

    const rpc = new KafkaEventTransport(catalog, noop);
    rpc.addHandler('case.rated.v1', () => Promise.resolve(), false);
    expect(() => rpc.handlerMap()).toThrow('@EventPattern handlers only');
  });

  it('surfaces the error of an observable that Nest returns for a failed handler', async () => {
    const { throwError } = await import('rxjs');
    const t = new KafkaEventTransport(catalog, noop);
    const original = new Error('the original');
    t.addHandler('case.rated.v1', () => Promise.resolve(throwError(() => original)), true);
    const h = t.handlerMap()['case.rated.v1'];
    const each = h && typeof h === 'object' && 'each' in h ? h.each : null;
    await expect(
      each?.({} as Ev<'case.rated.v1'>, {
        manager: null as never,
        topic: 't',
        partition: 0,
        offset: '0',
        attempt: 1,
        afterCommit: () => undefined,
      }),
    ).rejects.toBe(original);
  });
});
